package threads

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/redis/go-redis/v9"
)

// Sign-in, sessions and API tokens of the web side. Every secret handed
// out is 32 random bytes; Redis keeps only its SHA-256, so a copy of the
// database signs no one in.

// Errors of sign-in.
var (
	// ErrDisabled: the user is disabled and may not sign in.
	ErrDisabled = errors.New("user is disabled")
	// ErrBadCredential: a sign-in token, session or API token that parley
	// does not know (never issued, used, expired, signed out or revoked).
	ErrBadCredential = errors.New("unknown, used or expired credential")
)

// Limits and lifetimes of the web's credentials.
const (
	// SignInValidity is how long a sign-in link works.
	SignInValidity = 15 * time.Minute
	// SessionLifetime is how long a session lasts after sign-in.
	SessionLifetime = 30 * 24 * time.Hour
	// MaxAPITokens is the most API tokens one user holds.
	MaxAPITokens = 50
	// APITokenPrefix starts every API token, so a leaked one is recognisable.
	APITokenPrefix = "pat_"
	maxTokenName   = 64
)

// newSecret returns 32 random bytes, base64url without padding (43 characters).
func newSecret() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return base64.RawURLEncoding.EncodeToString(b)
}

// secretPattern is a secret as newSecret makes it.
var secretPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{43}$`)

// hashSecret is the name a secret is stored under.
func hashSecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// NewSignInToken makes a one-time sign-in token for an existing, enabled
// user, valid for SignInValidity.
func (s *Auth) NewSignInToken(ctx context.Context, user string) (string, error) {
	u, err := s.dir.User(ctx, user)
	if err != nil {
		return "", err
	}
	if u.Disabled {
		return "", fmt.Errorf("sign-in token for %s: %w", user, ErrDisabled)
	}
	tok := newSecret()
	if err := s.rdb.Set(ctx, s.k.signIn(hashSecret(tok)), user, SignInValidity).Err(); err != nil {
		return "", fmt.Errorf("sign-in token for %s: %w", user, err)
	}
	return tok, nil
}

// ConsumeSignInToken returns the user a sign-in token was made for and
// forgets the token in the same step, so a link works once. An unknown,
// used or expired token is ErrBadCredential; a user disabled since is ErrDisabled.
func (s *Auth) ConsumeSignInToken(ctx context.Context, token string) (User, error) {
	if !secretPattern.MatchString(token) {
		return User{}, ErrBadCredential
	}
	id, err := s.rdb.GetDel(ctx, s.k.signIn(hashSecret(token))).Result()
	if errors.Is(err, redis.Nil) {
		return User{}, ErrBadCredential
	}
	if err != nil {
		return User{}, fmt.Errorf("use sign-in token: %w", err)
	}
	return s.signInUser(ctx, id)
}

// signInUser is the member a used sign-in link or code was made for: one
// gone since is ErrBadCredential, one disabled since ErrDisabled.
func (s *Auth) signInUser(ctx context.Context, id string) (User, error) {
	u, err := s.dir.User(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return User{}, ErrBadCredential
	}
	if err != nil {
		return User{}, err
	}
	if u.Disabled {
		return User{}, fmt.Errorf("sign in %s: %w", id, ErrDisabled)
	}
	return u, nil
}

// DropSignInToken forgets a sign-in token that will not be sent.
func (s *Auth) DropSignInToken(ctx context.Context, token string) error {
	if err := s.rdb.Del(ctx, s.k.signIn(hashSecret(token))).Err(); err != nil {
		return fmt.Errorf("drop sign-in token: %w", err)
	}
	return nil
}

// Session is a signed-in browser.
type Session struct {
	User string `json:"user"`
	// CSRF is the token every state-changing form of the session carries.
	CSRF    string    `json:"csrf"`
	Created time.Time `json:"created"`
	Expires time.Time `json:"expires"`
	// Gen is the user's token generation when the session started: a
	// session of an older generation (the user was disabled, or their
	// tokens rotated, since) no longer counts (User.Honours).
	Gen int `json:"gen,omitempty"`
}

// NewSession starts a session for user, lasting SessionLifetime. It
// returns the session's secret (the cookie value).
func (s *Auth) NewSession(ctx context.Context, user string) (string, Session, error) {
	u, err := s.dir.User(ctx, user)
	if err != nil {
		return "", Session{}, err
	}
	now := s.now().UTC().Truncate(time.Second)
	se := Session{User: user, CSRF: newSecret(), Created: now, Expires: now.Add(SessionLifetime), Gen: u.TokenGen}
	data, err := json.Marshal(se)
	if err != nil {
		return "", Session{}, err
	}
	tok := newSecret()
	if err := s.rdb.Set(ctx, s.k.session(hashSecret(tok)), data, SessionLifetime).Err(); err != nil {
		return "", Session{}, fmt.Errorf("start session of %s: %w", user, err)
	}
	return tok, se, nil
}

// Session returns the session of a secret; ErrBadCredential when there is none
// (never made, signed out, or expired).
func (s *Auth) Session(ctx context.Context, token string) (Session, error) {
	if !secretPattern.MatchString(token) {
		return Session{}, ErrBadCredential
	}
	data, err := s.rdb.Get(ctx, s.k.session(hashSecret(token))).Result()
	if errors.Is(err, redis.Nil) {
		return Session{}, ErrBadCredential
	}
	if err != nil {
		return Session{}, fmt.Errorf("read session: %w", err)
	}
	var se Session
	if err := json.Unmarshal([]byte(data), &se); err != nil {
		return Session{}, fmt.Errorf("decode session: %w", err)
	}
	return se, nil
}

// EndSession signs a session out. Ending an unknown session is no error.
func (s *Auth) EndSession(ctx context.Context, token string) error {
	if !secretPattern.MatchString(token) {
		return nil
	}
	if err := s.rdb.Del(ctx, s.k.session(hashSecret(token))).Err(); err != nil {
		return fmt.Errorf("end session: %w", err)
	}
	return nil
}

// APIToken is a personal token a member made for a script or a bot. The
// secret itself is shown once, when it is made.
type APIToken struct {
	ID      string    `json:"id"`
	User    string    `json:"user"`
	Name    string    `json:"name"`
	Created time.Time `json:"created"`
	// Gen is the user's token generation when it was made (see Session.Gen).
	Gen int `json:"gen,omitempty"`
}

// NewAPIToken makes a personal API token for user, named so they know what
// it is for. It returns the secret (shown once) and its record.
func (s *Auth) NewAPIToken(ctx context.Context, user, name string) (string, APIToken, error) {
	name = strings.TrimSpace(name)
	if name == "" || !utf8.ValidString(name) || utf8.RuneCountInString(name) > maxTokenName || strings.IndexFunc(name, unicode.IsControl) >= 0 {
		return "", APIToken{}, invalid("token name must be 1-%d characters of text", maxTokenName)
	}
	if err := s.chat.mustExist(ctx, []string{user}); err != nil {
		return "", APIToken{}, err
	}
	u, err := s.dir.User(ctx, user)
	if err != nil {
		return "", APIToken{}, err
	}
	id := make([]byte, 6)
	_, _ = rand.Read(id)
	t := APIToken{ID: hex.EncodeToString(id), User: user, Name: name, Created: s.now().UTC().Truncate(time.Second), Gen: u.TokenGen}
	data, err := json.Marshal(t)
	if err != nil {
		return "", APIToken{}, err
	}
	secret := APITokenPrefix + newSecret()
	res, err := scriptNewAPIToken.Run(ctx, s.rdb, []string{s.k.apiTokens(), s.k.userAPITokens(user)},
		hashSecret(secret), t.ID, string(data), MaxAPITokens).Int()
	if err != nil {
		return "", APIToken{}, fmt.Errorf("make API token for %s: %w", user, err)
	}
	if res == 0 {
		return "", APIToken{}, invalid("%s already has %d API tokens; revoke one first", user, MaxAPITokens)
	}
	return secret, t, nil
}

// APITokens lists a user's tokens, oldest first.
func (s *Auth) APITokens(ctx context.Context, user string) ([]APIToken, error) {
	hashes, err := s.rdb.HVals(ctx, s.k.userAPITokens(user)).Result()
	if err != nil {
		return nil, fmt.Errorf("API tokens of %s: %w", user, err)
	}
	out := []APIToken{}
	if len(hashes) == 0 {
		return out, nil
	}
	vals, err := s.rdb.HMGet(ctx, s.k.apiTokens(), hashes...).Result()
	if err != nil {
		return nil, fmt.Errorf("API tokens of %s: %w", user, err)
	}
	for _, v := range vals {
		str, ok := v.(string)
		if !ok {
			continue
		}
		var t APIToken
		if json.Unmarshal([]byte(str), &t) == nil {
			out = append(out, t)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].Created.Equal(out[j].Created) {
			return out[i].Created.Before(out[j].Created)
		}
		return out[i].ID < out[j].ID
	})
	return out, nil
}

// RevokeAPIToken deletes one of user's tokens; it stops working at once.
func (s *Auth) RevokeAPIToken(ctx context.Context, user, id string) error {
	n, err := scriptRevokeAPIToken.Run(ctx, s.rdb, []string{s.k.apiTokens(), s.k.userAPITokens(user)}, id).Int()
	if err != nil {
		return fmt.Errorf("revoke API token %s of %s: %w", id, user, err)
	}
	if n == 0 {
		return fmt.Errorf("API token %s of %s: %w", id, user, ErrNotFound)
	}
	return nil
}

// APITokenOwner returns the record of a token secret; ErrBadCredential when it
// is unknown or revoked.
func (s *Auth) APITokenOwner(ctx context.Context, secret string) (APIToken, error) {
	rest, ok := strings.CutPrefix(secret, APITokenPrefix)
	if !ok || !secretPattern.MatchString(rest) {
		return APIToken{}, ErrBadCredential
	}
	data, err := s.rdb.HGet(ctx, s.k.apiTokens(), hashSecret(secret)).Result()
	if errors.Is(err, redis.Nil) {
		return APIToken{}, ErrBadCredential
	}
	if err != nil {
		return APIToken{}, fmt.Errorf("check API token: %w", err)
	}
	var t APIToken
	if err := json.Unmarshal([]byte(data), &t); err != nil {
		return APIToken{}, fmt.Errorf("decode API token: %w", err)
	}
	return t, nil
}

// scriptNewAPIToken stores a token unless the user holds too many.
// KEYS: tokens, user's tokens. ARGV: hash, id, json, limit. Returns 1 when stored.
var scriptNewAPIToken = redis.NewScript(`
if redis.call('HLEN', KEYS[2]) >= tonumber(ARGV[4]) then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
redis.call('HSET', KEYS[2], ARGV[2], ARGV[1])
return 1
`)

// scriptRevokeAPIToken deletes one token of a user.
// KEYS: tokens, user's tokens. ARGV: id. Returns 1 when it existed.
var scriptRevokeAPIToken = redis.NewScript(`
local h = redis.call('HGET', KEYS[2], ARGV[1])
if not h then return 0 end
redis.call('HDEL', KEYS[1], h)
redis.call('HDEL', KEYS[2], ARGV[1])
return 1
`)
