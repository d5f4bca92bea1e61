package threads

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/redis/go-redis/v9"
)

// RekeyProgress is where Rekey is: keys visited of those found, and what
// it did with the values in them.
type RekeyProgress struct {
	// Keys is how many keys hold sealable values; Done how many are visited.
	Keys, Done int
	// Resealed values were under the previous key (or plaintext) and are
	// now under the current one; Current ones already were.
	Resealed, Current int
}

// Percent is how far Rekey is, 0 to 100.
func (p RekeyProgress) Percent() int {
	if p.Keys == 0 {
		return 100
	}
	return p.Done * 100 / p.Keys
}

// rekeyChunk is how many values Rekey reads and writes per round trip.
const rekeyChunk = 500

// sealedFields says which fields of a key Rekey seals again: the fields of
// each entry of a stream, or every value of a hash (hash true). ok false:
// the key holds nothing sealed (seal.go lists what is).
func (s *Store) sealedFields(key string) (fields []string, hash, ok bool) {
	switch {
	case strings.HasSuffix(key, ":rekey"):
		return nil, false, false // a copy an interrupted Rekey left; redone
	case key == s.k.users():
		return nil, true, true
	case key == s.k.outbox():
		return []string{"s", "b"}, false, true
	case key == s.k.held():
		return []string{"raw"}, false, true
	case strings.HasPrefix(key, s.k.prefix+"{r:") && strings.HasSuffix(key, "}:lines"):
		return []string{"t", "q"}, false, true
	case strings.HasPrefix(key, s.k.prefix+"{r:") && strings.HasSuffix(key, "}:subjects"):
		return nil, true, true
	}
	return nil, false, false
}

// Rekey seals every value that is under the previous data key, or still
// plaintext, under the current one (`parley admin rekey`), and then the
// key check (datakey.go). It scans every master of a cluster for the
// keys that hold sealed values (seal.go), calls report after each key,
// and returns the totals. It is idempotent and resumable: a value already
// under the current key is left alone, so a run that stopped is simply run
// again. Writers go on meanwhile: a hash value is replaced only if it did
// not change, and a stream is copied and renamed over the old one in one
// script that first copies the entries added meanwhile.
func (s *Store) Rekey(ctx context.Context, report func(RekeyProgress)) (RekeyProgress, error) {
	var p RekeyProgress
	if !s.sealing() {
		return p, fmt.Errorf("%w: rekey needs PARLEY_DATA_KEY (and PARLEY_DATA_KEY_PREVIOUS for the key it replaces)", ErrDataKey)
	}
	keys, err := s.scanKeys(ctx)
	if err != nil {
		return p, err
	}
	type job struct {
		key    string
		fields []string
		hash   bool
	}
	var jobs []job
	for _, k := range keys {
		if f, h, ok := s.sealedFields(k); ok {
			jobs = append(jobs, job{k, f, h})
		}
	}
	p.Keys = len(jobs)
	if report != nil {
		report(p)
	}
	for _, j := range jobs {
		var resealed, current int
		if j.hash {
			resealed, current, err = s.rekeyHash(ctx, j.key)
		} else {
			resealed, current, err = s.rekeyStream(ctx, j.key, j.fields)
		}
		if err != nil {
			return p, err
		}
		p.Done++
		p.Resealed += resealed
		p.Current += current
		if report != nil {
			report(p)
		}
	}
	// With a key only searchable profile fields are indexed: drop the
	// entries of the others, made before the key was on.
	if _, err := s.dir.ReindexPeople(ctx); err != nil {
		return p, fmt.Errorf("rekey: %w", err)
	}
	box := s.opts.Seal
	if err := s.rdb.Set(ctx, s.k.dataKeyCheck(), box.SealString(dataKeyCheckText), 0).Err(); err != nil {
		return p, fmt.Errorf("rekey: write the data key check: %w", err)
	}
	return p, nil
}

// scanKeys lists every key under the prefix, on every master of a
// cluster, sorted. SCAN, not KEYS: Redis keeps serving meanwhile.
func (s *Store) scanKeys(ctx context.Context) ([]string, error) {
	var mu sync.Mutex
	var out []string
	scan := func(ctx context.Context, c redis.UniversalClient) error {
		it := c.Scan(ctx, 0, s.k.prefix+"*", 1000).Iterator()
		for it.Next(ctx) {
			mu.Lock()
			out = append(out, it.Val())
			mu.Unlock()
		}
		return it.Err()
	}
	var err error
	if cc, ok := s.rdb.(*redis.ClusterClient); ok {
		err = cc.ForEachMaster(ctx, func(ctx context.Context, n *redis.Client) error { return scan(ctx, n) })
	} else {
		err = scan(ctx, s.rdb)
	}
	if err != nil {
		return nil, fmt.Errorf("rekey: list keys: %w", err)
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// scriptSwapValue replaces a hash value only if it is still the one read.
// KEYS: hash. ARGV: field, old value, new value.
var scriptSwapValue = redis.NewScript(`
if redis.call('HGET', KEYS[1], ARGV[1]) ~= ARGV[2] then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
return 1
`)

// rekeyHash seals again every stale value of a hash.
func (s *Store) rekeyHash(ctx context.Context, key string) (resealed, current int, err error) {
	box := s.opts.Seal
	var cursor uint64
	for {
		var kv []string
		kv, cursor, err = s.rdb.HScan(ctx, key, cursor, "", rekeyChunk).Result()
		if err != nil {
			return resealed, current, fmt.Errorf("rekey %s: %w", key, err)
		}
		type swap struct{ field, old, new string }
		var todo []swap
		for i := 0; i+1 < len(kv); i += 2 {
			if !box.Stale([]byte(kv[i+1])) {
				current++
				continue
			}
			plain, err := box.OpenString(kv[i+1])
			if err != nil {
				return resealed, current, fmt.Errorf("rekey %s field %s: %w", key, kv[i], err)
			}
			todo = append(todo, swap{kv[i], kv[i+1], box.SealString(plain)})
		}
		var swaps []*redis.Cmd
		err = s.scriptPipeline(ctx, scriptSwapValue, func(p redis.Pipeliner) {
			swaps = swaps[:0]
			for _, w := range todo {
				swaps = append(swaps, scriptSwapValue.EvalSha(ctx, p, []string{key}, w.field, w.old, w.new))
			}
		})
		if err != nil {
			return resealed, current, fmt.Errorf("rekey %s: %w", key, err)
		}
		for _, c := range swaps {
			// 0: a writer replaced the value meanwhile, under the current key.
			if n, _ := c.Int(); n == 1 {
				resealed++
			}
		}
		if cursor == 0 {
			return resealed, current, nil
		}
	}
}

// scriptSwapStream finishes a stream's copy: it copies the entries added
// after the last one copied, checks that none of those copied was deleted
// meanwhile (retention), gives the copy the stream's last id, and renames
// it over the stream.
// KEYS: stream, copy. ARGV: last id copied, how many entries were copied.
// Returns "ok" or "changed" (the copy was dropped; start again).
var scriptSwapStream = redis.NewScript(`
local rest = redis.call('XRANGE', KEYS[1], '(' .. ARGV[1], '+')
if redis.call('XLEN', KEYS[1]) ~= tonumber(ARGV[2]) + #rest then
  redis.call('DEL', KEYS[2])
  return 'changed'
end
for _, e in ipairs(rest) do redis.call('XADD', KEYS[2], e[1], unpack(e[2])) end
local info = redis.call('XINFO', 'STREAM', KEYS[1])
for i = 1, #info, 2 do
  -- so that the ids of removed entries are never given again; pcall: the
  -- embedded store has no XSETID, and parley never removes a newest entry
  if info[i] == 'last-generated-id' then redis.pcall('XSETID', KEYS[2], info[i + 1]) end
end
redis.call('RENAME', KEYS[2], KEYS[1])
return 'ok'
`)

// rekeyStream seals again the given fields of a stream's entries. A
// stream's entries cannot be changed in place, so when any is stale the
// stream is copied, entry by entry under the same ids, to KEY:rekey and
// renamed over the old one (scriptSwapStream).
func (s *Store) rekeyStream(ctx context.Context, key string, fields []string) (resealed, current int, err error) {
	stale, total, err := s.staleEntries(ctx, key, fields)
	if err != nil || stale == 0 {
		return 0, total, err
	}
	for attempt := 0; attempt < 5; attempt++ {
		copied, res, last, err := s.copyStream(ctx, key, fields)
		if err != nil {
			return 0, 0, err
		}
		if copied == 0 {
			return 0, 0, nil // emptied meanwhile
		}
		out, err := scriptSwapStream.Run(ctx, s.rdb, []string{key, s.k.rekeyCopy(key)}, last, copied).Text()
		if err != nil {
			return 0, 0, fmt.Errorf("rekey %s: %w", key, err)
		}
		if out == "ok" {
			return res, copied - res, nil
		}
	}
	return 0, 0, fmt.Errorf("rekey %s: the stream kept changing; run rekey again", key)
}

// staleEntries counts a stream's entries and those with a stale field.
func (s *Store) staleEntries(ctx context.Context, key string, fields []string) (stale, total int, err error) {
	lo := "-"
	for {
		msgs, err := s.rdb.XRangeN(ctx, key, lo, "+", rekeyChunk).Result()
		if err != nil {
			return 0, 0, fmt.Errorf("rekey %s: %w", key, err)
		}
		for _, m := range msgs {
			total++
			if s.entryStale(m, fields) {
				stale++
			}
		}
		if len(msgs) < rekeyChunk {
			return stale, total, nil
		}
		lo = "(" + msgs[len(msgs)-1].ID
	}
}

func (s *Store) entryStale(m redis.XMessage, fields []string) bool {
	for _, f := range fields {
		if v, _ := m.Values[f].(string); s.opts.Seal.Stale([]byte(v)) {
			return true
		}
	}
	return false
}

// copyStream copies a stream to its rekey copy, the given fields sealed
// under the current key, and returns how many entries it copied, how many
// of those it sealed again, and the last id copied.
func (s *Store) copyStream(ctx context.Context, key string, fields []string) (copied, resealed int, last string, err error) {
	box := s.opts.Seal
	dst := s.k.rekeyCopy(key)
	if err := s.rdb.Del(ctx, dst).Err(); err != nil {
		return 0, 0, "", fmt.Errorf("rekey %s: %w", key, err)
	}
	// go-redis reads an entry's fields into a map; the order of fields
	// within an entry carries no meaning to parley.
	lo := "-"
	for {
		msgs, err := s.rdb.XRangeN(ctx, key, lo, "+", rekeyChunk).Result()
		if err != nil {
			return 0, 0, "", fmt.Errorf("rekey %s: %w", key, err)
		}
		_, err = s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for _, m := range msgs {
				vals := make([]any, 0, 2*len(m.Values))
				stale := false
				for f, v := range m.Values {
					str, _ := v.(string)
					if slices.Contains(fields, f) && box.Stale([]byte(str)) {
						plain, err := box.OpenString(str)
						if err != nil {
							return fmt.Errorf("entry %s: %w", m.ID, err)
						}
						str, stale = box.SealString(plain), true
					}
					vals = append(vals, f, str)
				}
				if stale {
					resealed++
				}
				p.XAdd(ctx, &redis.XAddArgs{Stream: dst, ID: m.ID, Values: vals})
			}
			return nil
		})
		if err != nil {
			return 0, 0, "", fmt.Errorf("rekey %s: %w", key, err)
		}
		copied += len(msgs)
		if len(msgs) > 0 {
			last = msgs[len(msgs)-1].ID
		}
		if len(msgs) < rekeyChunk {
			return copied, resealed, last, nil
		}
		lo = "(" + last
	}
}
