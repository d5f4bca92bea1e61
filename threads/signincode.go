package threads

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"regexp"
	"time"

	"github.com/redis/go-redis/v9"
)

// Sign-in by a code texted to a member's verified phone, for members
// without an email address. The code is six digits, works once, for
// SignInCodeValidity, and at most MaxSignInCodeTries wrong guesses burn
// it. Redis keeps a salted SHA-256 of it under a hash of the number.

// Limits of a texted sign-in code.
const (
	// SignInCodeValidity is how long a texted sign-in code works.
	SignInCodeValidity = 10 * time.Minute
	// MaxSignInCodeTries is how many wrong codes burn the one sent.
	MaxSignInCodeTries = 5
	// SignInCodeDigits is the length of a code.
	SignInCodeDigits = 6
)

// codePattern is a code as a person types it back.
var codePattern = regexp.MustCompile(`^[0-9]{6}$`)

// newSignInCode returns six random digits.
func newSignInCode() string {
	n, _ := rand.Int(rand.Reader, big.NewInt(1_000_000)) // crypto/rand never fails (Go 1.24+)
	return fmt.Sprintf("%06d", n.Int64())
}

// hashCode is what Redis keeps of a code: SHA-256 of a random salt, the
// member and the code.
func hashCode(salt, user, code string) string {
	sum := sha256.Sum256([]byte(salt + "\x00" + user + "\x00" + code))
	return hex.EncodeToString(sum[:])
}

// NewSignInCode makes a sign-in code for the member whose verified phone
// this is, replacing any code sent before. It returns the code (to be
// texted, never stored) and the member. A number no member has verified
// is ErrNotFound; a disabled member ErrDisabled.
func (s *Auth) NewSignInCode(ctx context.Context, phone string) (string, User, error) {
	if err := ValidPhone(phone); err != nil {
		return "", User{}, err
	}
	u, err := s.dir.UserByPhone(ctx, phone)
	if err != nil {
		return "", u, err
	}
	if !u.PhoneVerified || u.SMSOptOut {
		return "", u, fmt.Errorf("sign-in code to %s: number not verified or opted out: %w", u.ID, ErrNotFound)
	}
	if u.Disabled {
		return "", u, fmt.Errorf("sign-in code for %s: %w", u.ID, ErrDisabled)
	}
	code, salt := newSignInCode(), newSecret()
	key := s.k.signInCode(hashSecret(phone))
	pipe := s.rdb.TxPipeline()
	pipe.Del(ctx, key)
	pipe.HSet(ctx, key, "user", u.ID, "salt", salt, "hash", hashCode(salt, u.ID, code), "tries", 0)
	pipe.PExpire(ctx, key, SignInCodeValidity)
	if _, err := pipe.Exec(ctx); err != nil {
		return "", u, fmt.Errorf("sign-in code for %s: %w", u.ID, err)
	}
	return code, u, nil
}

// ConsumeSignInCode returns the member a code texted to phone was made
// for, and forgets the code in the same step, so it works once. A wrong
// code counts a try; the MaxSignInCodeTries-th wrong one burns the code.
// Every failure (no code for the number, wrong, used, expired, burned) is
// ErrBadCredential; a member disabled since is ErrDisabled.
func (s *Auth) ConsumeSignInCode(ctx context.Context, phone, code string) (User, error) {
	if ValidPhone(phone) != nil || !codePattern.MatchString(code) {
		return User{}, ErrBadCredential
	}
	key := s.k.signInCode(hashSecret(phone))
	vals, err := s.rdb.HMGet(ctx, key, "user", "salt").Result()
	if err != nil {
		return User{}, fmt.Errorf("use sign-in code: %w", err)
	}
	user, _ := vals[0].(string)
	salt, _ := vals[1].(string)
	if user == "" || salt == "" {
		return User{}, ErrBadCredential
	}
	id, err := scriptUseSignInCode.Run(ctx, s.rdb, []string{key}, hashCode(salt, user, code), MaxSignInCodeTries).Text()
	if errors.Is(err, redis.Nil) || (err == nil && id == "") {
		return User{}, ErrBadCredential
	}
	if err != nil {
		return User{}, fmt.Errorf("use sign-in code: %w", err)
	}
	return s.signInUser(ctx, id)
}

// DropSignInCode forgets the code of a number (it will not be sent).
func (s *Auth) DropSignInCode(ctx context.Context, phone string) error {
	if err := s.rdb.Del(ctx, s.k.signInCode(hashSecret(phone))).Err(); err != nil {
		return fmt.Errorf("drop sign-in code: %w", err)
	}
	return nil
}

// scriptUseSignInCode checks a code's hash: the right one deletes the code
// and returns its member; a wrong one counts a try and deletes the code on
// the last. KEYS: code. ARGV: hash, tries allowed. Returns the member or "".
var scriptUseSignInCode = redis.NewScript(`
local h = redis.call('HGET', KEYS[1], 'hash')
if not h then return '' end
if h == ARGV[1] then
  local u = redis.call('HGET', KEYS[1], 'user')
  redis.call('DEL', KEYS[1])
  return u
end
if redis.call('HINCRBY', KEYS[1], 'tries', 1) >= tonumber(ARGV[2]) then
  redis.call('DEL', KEYS[1])
end
return ''
`)
