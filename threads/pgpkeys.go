package threads

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Where a member's public key came from (MemberKey.Source).
const (
	// KeyFromMember: the member uploaded it (web page or API).
	KeyFromMember = "member"
	// KeyFromAdmin: an admin set it (`parley user key add`).
	KeyFromAdmin = "admin"
	// KeyFromAutocrypt: learned from the Autocrypt header of the member's mail.
	KeyFromAutocrypt = "autocrypt"
)

// MemberKey is a member's OpenPGP public key. threads keeps it as bytes;
// internal/pgp reads and checks it.
type MemberKey struct {
	// Key is the public key, binary OpenPGP.
	Key []byte `json:"key"`
	// Fingerprint is the key's fingerprint, upper-case hex.
	Fingerprint string `json:"fingerprint"`
	// Source says where it came from: KeyFromMember, KeyFromAdmin or
	// KeyFromAutocrypt.
	Source string `json:"source"`
	// Addr is the address an Autocrypt header named (lower-case).
	Addr string `json:"addr,omitempty"`
	// Updated is when it was set; for Autocrypt, the Date of the message
	// that carried it (never later than when it arrived).
	Updated time.Time `json:"updated"`
}

// SetMemberKey stores the member's public key, replacing any other.
func (s *Directory) SetMemberKey(ctx context.Context, member string, k MemberKey) error {
	if len(k.Key) == 0 || k.Fingerprint == "" {
		return invalid("a member key needs the key and its fingerprint")
	}
	if _, err := s.User(ctx, member); err != nil {
		return err
	}
	if k.Updated.IsZero() {
		k.Updated = s.now()
	}
	if err := s.rdb.HSet(ctx, s.k.memberKeys(), member, encodeMemberKey(k)).Err(); err != nil {
		return fmt.Errorf("store key of %s: %w", member, err)
	}
	return nil
}

// LearnMemberKey applies the Autocrypt rule "the latest header wins": k
// (Source KeyFromAutocrypt) replaces a key learned from an older header,
// and is stored when the member has none. A key the member or an admin set
// by hand is never replaced by a header. It reports whether k was stored.
func (s *Directory) LearnMemberKey(ctx context.Context, member string, k MemberKey) (bool, error) {
	k.Source = KeyFromAutocrypt
	if now := s.now(); k.Updated.IsZero() || k.Updated.After(now) {
		k.Updated = now
	}
	n, err := scriptLearnKey.Run(ctx, s.rdb, []string{s.k.memberKeys()}, member, encodeMemberKey(k), k.Updated.UnixMilli()).Int()
	if err != nil {
		return false, fmt.Errorf("learn key of %s: %w", member, err)
	}
	return n == 1, nil
}

// scriptLearnKey stores ARGV[2] as member ARGV[1]'s key unless the stored
// one was set by hand or came from a header dated later than ARGV[3] (ms).
var scriptLearnKey = redis.NewScript(`
local cur = redis.call('HGET', KEYS[1], ARGV[1])
if cur then
  local k = cjson.decode(cur)
  if k.source ~= 'autocrypt' then return 0 end
  if (tonumber(k.ms) or 0) > tonumber(ARGV[3]) then return 0 end
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 1
`)

// encodeMemberKey is the stored form: the key and its Updated time in
// unix ms ("ms"), which the script compares.
func encodeMemberKey(k MemberKey) []byte {
	data, _ := json.Marshal(struct {
		MemberKey
		MS int64 `json:"ms"`
	}{k, k.Updated.UnixMilli()}) // plain struct: never fails
	return data
}

// MemberKey returns the member's key, or ErrNotFound.
func (s *Directory) MemberKey(ctx context.Context, member string) (MemberKey, error) {
	data, err := s.rdb.HGet(ctx, s.k.memberKeys(), member).Bytes()
	if errors.Is(err, redis.Nil) {
		return MemberKey{}, fmt.Errorf("key of %s: %w", member, ErrNotFound)
	}
	if err != nil {
		return MemberKey{}, fmt.Errorf("key of %s: %w", member, err)
	}
	return decodeMemberKey(member, data)
}

func decodeMemberKey(member string, data []byte) (MemberKey, error) {
	var k MemberKey
	if err := json.Unmarshal(data, &k); err != nil {
		return k, fmt.Errorf("key of %s: %w", member, err)
	}
	return k, nil
}

// MemberKeyByEmail returns the key of the member with this address, in one
// round trip, or ErrNotFound when no member has it or that member has no key.
func (s *Directory) MemberKeyByEmail(ctx context.Context, addr string) (string, MemberKey, error) {
	addr = strings.ToLower(strings.TrimSpace(addr))
	res, err := scriptKeyByEmail.Run(ctx, s.rdb, []string{s.k.byEmail(), s.k.memberKeys()}, addr).StringSlice()
	if errors.Is(err, redis.Nil) {
		return "", MemberKey{}, fmt.Errorf("key of %s: %w", addr, ErrNotFound)
	}
	if err != nil || len(res) != 2 {
		return "", MemberKey{}, fmt.Errorf("key of %s: %w", addr, err)
	}
	k, err := decodeMemberKey(res[0], []byte(res[1]))
	return res[0], k, err
}

var scriptKeyByEmail = redis.NewScript(`
local id = redis.call('HGET', KEYS[1], ARGV[1])
if not id then return false end
local k = redis.call('HGET', KEYS[2], id)
if not k then return false end
return {id, k}
`)

// RemoveMemberKey forgets the member's key; mail to them goes plain again.
// It reports whether there was one.
func (s *Directory) RemoveMemberKey(ctx context.Context, member string) (bool, error) {
	n, err := s.rdb.HDel(ctx, s.k.memberKeys(), member).Result()
	if err != nil {
		return false, fmt.Errorf("remove key of %s: %w", member, err)
	}
	return n > 0, nil
}

// ErrSealedKey: parley's stored key does not open under PARLEY_SECRET nor
// PARLEY_SECRET_PREVIOUS: the secret changed without a rotation.
var ErrSealedKey = errors.New("parley's OpenPGP key does not open with PARLEY_SECRET (nor PARLEY_SECRET_PREVIOUS)")

// ServerKey returns parley's own OpenPGP key pair (binary), opened with the
// secret. At first start there is none: generate makes it, and it is
// stored sealed with AES-256-GCM under a key derived from PARLEY_SECRET; of
// two processes starting at once, the first to store wins and both use
// its key. A key sealed under the previous secret is sealed again under
// the current one.
func (s *Auth) ServerKey(ctx context.Context, generate func() ([]byte, error)) ([]byte, error) {
	if len(s.opts.Secret) == 0 {
		return nil, errors.New("parley's OpenPGP key: PARLEY_SECRET is not set")
	}
	sealed, err := s.rdb.Get(ctx, s.k.serverKey()).Bytes()
	if errors.Is(err, redis.Nil) {
		key, err := generate()
		if err != nil {
			return nil, err
		}
		ok, err := s.rdb.SetNX(ctx, s.k.serverKey(), sealWith(s.opts.Secret, key), 0).Result()
		if err != nil {
			return nil, fmt.Errorf("store parley's OpenPGP key: %w", err)
		}
		if ok {
			return key, nil
		}
		sealed, err = s.rdb.Get(ctx, s.k.serverKey()).Bytes()
		if err != nil {
			return nil, fmt.Errorf("read parley's OpenPGP key: %w", err)
		}
	} else if err != nil {
		return nil, fmt.Errorf("read parley's OpenPGP key: %w", err)
	}
	if key, err := openWith(s.opts.Secret, sealed); err == nil {
		return key, nil
	}
	if len(s.opts.PreviousSecret) > 0 {
		if key, err := openWith(s.opts.PreviousSecret, sealed); err == nil {
			if err := s.rdb.Set(ctx, s.k.serverKey(), sealWith(s.opts.Secret, key), 0).Err(); err != nil {
				return nil, fmt.Errorf("re-seal parley's OpenPGP key: %w", err)
			}
			return key, nil
		}
	}
	return nil, ErrSealedKey
}

// serverKeyAEAD is AES-256-GCM under a key derived from secret for this
// one purpose.
func serverKeyAEAD(secret []byte) cipher.AEAD {
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte("parley openpgp server key v1"))
	block, _ := aes.NewCipher(mac.Sum(nil)) // 32 bytes: never fails
	aead, _ := cipher.NewGCM(block)
	return aead
}

func sealWith(secret, plain []byte) []byte {
	aead := serverKeyAEAD(secret)
	nonce := make([]byte, aead.NonceSize())
	_, _ = rand.Read(nonce)
	return aead.Seal(nonce, nonce, plain, nil)
}

func openWith(secret, sealed []byte) ([]byte, error) {
	aead := serverKeyAEAD(secret)
	if len(sealed) < aead.NonceSize() {
		return nil, errors.New("sealed value too short")
	}
	return aead.Open(nil, sealed[:aead.NonceSize()], sealed[aead.NonceSize():], nil)
}
