package threads

import (
	"context"
	"errors"
	"fmt"

	"github.com/redis/go-redis/v9"
)

// dataKeyCheckText is what {config}:datakey-check holds, sealed.
const dataKeyCheckText = "parley data key check v1"

// ErrDataKey: the data key this process has does not fit the data in
// Redis (a wrong key, or none while values are sealed). The error text
// says which setting to change; it never holds a key.
var ErrDataKey = errors.New("data key does not fit the data in Redis")

// DataKeyState says which keys the data in Redis is sealed under.
type DataKeyState struct {
	// KeyID is the id of this process's data key ("" without one).
	KeyID string
	// SealedUnder is the id of the key of the check value in Redis ("":
	// nothing was ever sealed).
	SealedUnder string
	// Rotating: the check value is under the previous key; values sealed
	// under it open until `parley admin rekey` has sealed them again.
	Rotating bool
}

// CheckDataKey makes sure this process can open what Redis holds, before
// it serves: with a data key, the check value {config}:datakey-check must
// open under it (or its previous key) and is written at the first start;
// without one, there must be no check value, since values were sealed. So
// a wrong key, or a key left out, fails at start instead of showing
// ciphertext or refusing reads later.
func (s *Store) CheckDataKey(ctx context.Context) (DataKeyState, error) {
	box := s.opts.Seal
	st := DataKeyState{KeyID: box.KeyID()}
	key := s.k.dataKeyCheck()
	for attempt := 0; ; attempt++ {
		v, err := s.rdb.Get(ctx, key).Result()
		if errors.Is(err, redis.Nil) {
			if !s.sealing() {
				return st, nil
			}
			ok, err := s.rdb.SetNX(ctx, key, box.SealString(dataKeyCheckText), 0).Result()
			if err != nil {
				return st, fmt.Errorf("store the data key check: %w", err)
			}
			if ok || attempt > 0 {
				st.SealedUnder = box.KeyID()
				return st, nil
			}
			continue // another process wrote it first: check theirs
		}
		if err != nil {
			return st, fmt.Errorf("read the data key check: %w", err)
		}
		st.SealedUnder = box.SealedBy(v)
		if !s.sealing() {
			return st, fmt.Errorf("%w: values in Redis are sealed under data key %s, and PARLEY_DATA_KEY is not set "+
				"(set PARLEY_DATA_KEY or PARLEY_DATA_KEY_FILE to that key; parley cannot turn sealing off)", ErrDataKey, st.SealedUnder)
		}
		plain, err := box.OpenString(v)
		if err != nil || plain != dataKeyCheckText {
			return st, fmt.Errorf("%w: values in Redis are sealed under data key %s; PARLEY_DATA_KEY is key %s%s "+
				"(set PARLEY_DATA_KEY to the key of id %s, or, to rotate, keep it as PARLEY_DATA_KEY_PREVIOUS and run parley admin rekey)",
				ErrDataKey, st.SealedUnder, box.KeyID(), previousNote(box), st.SealedUnder)
		}
		st.Rotating = st.SealedUnder != box.KeyID()
		return st, nil
	}
}

func previousNote(box Sealer) string {
	if p := box.PreviousKeyID(); p != "" {
		return " and PARLEY_DATA_KEY_PREVIOUS is key " + p
	}
	return ""
}
