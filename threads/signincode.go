package threads

import (
	"context"
	"fmt"
)

// Sign-in by a code texted to a member's verified phone, for members
// without an email address. The code is kept and checked as every texted
// code is (onetimecode.go), under a hash of the number.

// NewSignInCode makes a sign-in code for the member whose verified phone
// this is, replacing any code sent before. It returns the code (to be
// texted, never stored) and the member. A number no member has verified
// is ErrNotFound; a disabled member ErrDisabled; a member who had
// MaxCodesPerHour codes this hour a *TooManyCodesError.
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
	code, err := s.issueCode(ctx, s.k.signInCode(hashSecret(phone)), codeSignIn, u.ID, phone)
	return code, u, err
}

// ConsumeSignInCode returns the member a code texted to phone was made
// for, and forgets the code in the same step, so it works once. A wrong
// code counts a try; the MaxCodeTries-th wrong one burns the code. Every
// failure (no code for the number, wrong, used, expired, burned) is
// ErrBadCredential, so the answer tells a stranger nothing; a member
// disabled since is ErrDisabled.
func (s *Auth) ConsumeSignInCode(ctx context.Context, phone, code string) (User, error) {
	if ValidPhone(phone) != nil || !codePattern.MatchString(code) {
		return User{}, ErrBadCredential
	}
	c, err := s.checkCode(ctx, s.k.signInCode(hashSecret(phone)), phone, code)
	if err != nil {
		return User{}, fmt.Errorf("use sign-in code: %w", err)
	}
	if c.outcome != codeMatch {
		return User{}, ErrBadCredential
	}
	return s.signInUser(ctx, c.owner)
}

// DropSignInCode forgets the code of a number (it will not be sent).
func (s *Auth) DropSignInCode(ctx context.Context, phone string) error {
	if err := s.rdb.Del(ctx, s.k.signInCode(hashSecret(phone))).Err(); err != nil {
		return fmt.Errorf("drop sign-in code: %w", err)
	}
	return nil
}
