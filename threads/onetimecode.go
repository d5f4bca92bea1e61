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

// One-time codes texted to a phone: the sign-in code (signincode.go) and
// the code that proves a member's phone (phonecode.go) are made, kept and
// checked here. A code is six digits and works once, for CodeValidity;
// MaxCodeTries wrong guesses burn it; a member gets at most
// MaxCodesPerHour codes of one purpose an hour. Redis keeps a salted
// SHA-256 of the code with its owner, the number it went to (hashed), when
// it expires and the wrong tries so far. The record outlives the code by
// codeMemory, so that a late or burned code is told apart from none.

// Limits of a texted code.
const (
	// CodeValidity is how long a texted code works.
	CodeValidity = 10 * time.Minute
	// MaxCodeTries is how many wrong codes burn the one sent.
	MaxCodeTries = 5
	// MaxCodesPerHour is how many codes of one purpose a member gets an hour.
	MaxCodesPerHour = 5
	// CodeDigits is the length of a code.
	CodeDigits = 6
	// codeMemory is how long a code's record stays after it stops working.
	codeMemory = time.Hour
)

// Purposes of a texted code, each with its own hourly count.
const (
	codeSignIn = "signin"
	codePhone  = "phone"
)

// codePattern is a code as a person types it back.
var codePattern = regexp.MustCompile(`^[0-9]{6}$`)

// TooManyCodesError: the member had MaxCodesPerHour codes of this kind in
// the last hour. Wait is how long until the next may be made.
type TooManyCodesError struct{ Wait time.Duration }

func (e *TooManyCodesError) Error() string {
	return fmt.Sprintf("%d codes an hour at most; the next in %s", MaxCodesPerHour, e.Wait.Round(time.Second))
}

// newCode returns six random digits.
func newCode() string {
	n, _ := rand.Int(rand.Reader, big.NewInt(1_000_000)) // crypto/rand never fails (Go 1.24+)
	return fmt.Sprintf("%06d", n.Int64())
}

// hashCode is what Redis keeps of a code: SHA-256 of a random salt, the
// owner, the number's hash and the code.
func hashCode(salt, owner, to, code string) string {
	sum := sha256.Sum256([]byte(salt + "\x00" + owner + "\x00" + to + "\x00" + code))
	return hex.EncodeToString(sum[:])
}

// issueCode makes a code of purpose for owner, to be texted to phone, and
// keeps it under key, replacing any code there. Past the owner's hourly
// share it is a *TooManyCodesError and nothing changes.
func (s *Auth) issueCode(ctx context.Context, key, purpose, owner, phone string) (string, error) {
	code, salt, to := newCode(), newSecret(), hashSecret(phone)
	expires := s.now().Add(CodeValidity).UnixMilli()
	wait, err := scriptIssueCode.Run(ctx, s.rdb, []string{key, s.k.codesMade(purpose, owner)},
		owner, to, salt, hashCode(salt, owner, to, code), expires, (CodeValidity + codeMemory).Milliseconds(),
		MaxCodesPerHour, time.Hour.Milliseconds()).Int64()
	if err != nil {
		return "", fmt.Errorf("make a %s code for %s: %w", purpose, owner, err)
	}
	if wait >= 0 {
		return "", &TooManyCodesError{Wait: time.Duration(wait) * time.Millisecond}
	}
	return code, nil
}

// codeOutcome is what checking a code found.
type codeOutcome string

const (
	codeMatch   codeOutcome = "match"   // right: the code is used up
	codeWrong   codeOutcome = "wrong"   // wrong: one try counted
	codeExpired codeOutcome = "expired" // older than CodeValidity
	codeBurned  codeOutcome = "burned"  // MaxCodeTries wrong tries
	codeNone    codeOutcome = "none"    // none kept, or for another number
)

// codeCheck is the answer of checkCode.
type codeCheck struct {
	outcome codeOutcome
	// owner is whom the code was made for; left the tries left after a
	// wrong one.
	owner string
	left  int
}

// checkCode checks code against the one kept under key for phone. The
// right code is deleted in the same step, so it works once however many
// try at the same time; a wrong one counts a try, and the last try burns
// the code. A code made for another number is codeNone and counts nothing.
func (s *Auth) checkCode(ctx context.Context, key, phone, code string) (codeCheck, error) {
	vals, err := s.rdb.HMGet(ctx, key, "owner", "to", "salt").Result()
	if err != nil {
		return codeCheck{}, fmt.Errorf("check a code: %w", err)
	}
	owner, _ := vals[0].(string)
	to, _ := vals[1].(string)
	salt, _ := vals[2].(string)
	if owner == "" || salt == "" || to != hashSecret(phone) {
		return codeCheck{outcome: codeNone}, nil
	}
	res, err := scriptCheckCode.Run(ctx, s.rdb, []string{key}, hashCode(salt, owner, to, code), MaxCodeTries, s.now().UnixMilli()).Slice()
	if errors.Is(err, redis.Nil) {
		return codeCheck{outcome: codeNone}, nil
	}
	if err != nil {
		return codeCheck{}, fmt.Errorf("check a code: %w", err)
	}
	if len(res) != 2 {
		return codeCheck{}, fmt.Errorf("check a code: script answered %v", res)
	}
	outcome, _ := res[0].(string)
	left, _ := res[1].(int64)
	return codeCheck{outcome: codeOutcome(outcome), owner: owner, left: int(left)}, nil
}

// scriptIssueCode keeps a new code unless its owner had their share.
// KEYS: code, owner's count. ARGV: owner, number hash, salt, hash, expiry
// (Unix ms), record TTL (ms), codes allowed, period (ms). Returns -1 when
// kept, else the ms until the count resets.
var scriptIssueCode = redis.NewScript(`
if tonumber(redis.call('GET', KEYS[2]) or '0') >= tonumber(ARGV[7]) then
  local ttl = redis.call('PTTL', KEYS[2])
  if ttl < 0 then
    redis.call('PEXPIRE', KEYS[2], ARGV[8])
    ttl = tonumber(ARGV[8])
  end
  return ttl
end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'owner', ARGV[1], 'to', ARGV[2], 'salt', ARGV[3], 'hash', ARGV[4], 'expires', ARGV[5], 'tries', 0)
redis.call('PEXPIRE', KEYS[1], ARGV[6])
if redis.call('INCR', KEYS[2]) == 1 then
  redis.call('PEXPIRE', KEYS[2], ARGV[8])
end
return -1
`)

// scriptCheckCode checks a code's hash. KEYS: code. ARGV: hash, tries
// allowed, now (Unix ms). Returns {outcome, tries left}.
var scriptCheckCode = redis.NewScript(`
local v = redis.call('HMGET', KEYS[1], 'hash', 'expires', 'tries')
if not v[1] then return {'none', 0} end
local max = tonumber(ARGV[2])
if tonumber(v[3]) >= max then return {'burned', 0} end
if tonumber(v[2]) <= tonumber(ARGV[3]) then return {'expired', 0} end
if v[1] == ARGV[1] then
  redis.call('DEL', KEYS[1])
  return {'match', 0}
end
local left = max - redis.call('HINCRBY', KEYS[1], 'tries', 1)
if left <= 0 then return {'burned', 0} end
return {'wrong', left}
`)
