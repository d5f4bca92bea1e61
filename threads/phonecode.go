package threads

import (
	"context"
	"errors"
	"fmt"
)

// A member proves their phone by typing back a code texted to it: until
// then the number carries no texts from parley but codes, and a text from
// it is not trusted (PhoneVerified). The code is kept and checked as every
// texted code is (onetimecode.go), one per member, bound to the number it
// went to: a code sent before the number changed proves nothing.

// Errors of phone verification, each a different thing for the member to do.
var (
	// ErrNoPhone: the member has no phone number to verify.
	ErrNoPhone = errors.New("no phone number is set; add one first")
	// ErrPhoneVerified: the phone is verified already.
	ErrPhoneVerified = errors.New("the phone number is verified already")
	// ErrNoCode: no code was sent to the member's current number (or it
	// was used).
	ErrNoCode = errors.New("no code was sent to this number; ask for one")
	// ErrCodeWrong: the code is not the one sent (wrapped with the tries left).
	ErrCodeWrong = errors.New("the code is wrong")
	// ErrCodeExpired: the code is older than CodeValidity.
	ErrCodeExpired = errors.New("the code has expired; ask for a new one")
	// ErrCodeBurned: MaxCodeTries wrong codes were typed; the code stopped working.
	ErrCodeBurned = errors.New("too many wrong codes; this one stopped working, ask for a new one")
)

// NewPhoneCode makes a code proving member id's phone, replacing any sent
// before, and returns it (to be texted, never stored) with the member. A
// member with no phone is ErrNoPhone; a verified one ErrPhoneVerified; a
// number that sent STOP is ErrInvalid (parley may not text it); past the
// hourly share a *TooManyCodesError.
func (s *Auth) NewPhoneCode(ctx context.Context, id string) (string, User, error) {
	u, err := s.dir.User(ctx, id)
	if err != nil {
		return "", u, err
	}
	switch {
	case u.Disabled:
		return "", u, fmt.Errorf("phone code for %s: %w", id, ErrDisabled)
	case u.Phone == "":
		return "", u, ErrNoPhone
	case u.PhoneVerified:
		return "", u, ErrPhoneVerified
	case u.SMSOptOut:
		return "", u, invalid("%s sent STOP, so parley may not text it; text START to parley from it first", u.Phone)
	}
	code, err := s.issueCode(ctx, s.k.phoneCode(id), codePhone, id, u.Phone)
	return code, u, err
}

// DropPhoneCode forgets member id's code (it will not be sent).
func (s *Auth) DropPhoneCode(ctx context.Context, id string) error {
	if err := s.rdb.Del(ctx, s.k.phoneCode(id)).Err(); err != nil {
		return fmt.Errorf("drop phone code of %s: %w", id, err)
	}
	return nil
}

// ConfirmPhone marks member id's phone verified when code is the one
// texted to it, and returns the member. Only the member's own code, sent
// to the number they have now, counts. A wrong code is ErrCodeWrong
// (telling the tries left) and counts a try; the MaxCodeTries-th burns
// the code (ErrCodeBurned); then ErrCodeExpired, ErrNoCode, ErrNoPhone,
// ErrPhoneVerified as their names say; a code not six digits is ErrInvalid
// and counts nothing.
func (s *Auth) ConfirmPhone(ctx context.Context, id, code string) (User, error) {
	u, err := s.dir.User(ctx, id)
	if err != nil {
		return u, err
	}
	switch {
	case u.Phone == "":
		return u, ErrNoPhone
	case u.PhoneVerified:
		return u, ErrPhoneVerified
	case !codePattern.MatchString(code):
		return u, invalid("a code is %d digits, like 042917", CodeDigits)
	}
	c, err := s.checkCode(ctx, s.k.phoneCode(id), u.Phone, code)
	if err != nil {
		return u, fmt.Errorf("confirm the phone of %s: %w", id, err)
	}
	switch c.outcome {
	case codeMatch:
	case codeWrong:
		return u, fmt.Errorf("%w: %d tries left", ErrCodeWrong, c.left)
	case codeExpired:
		return u, ErrCodeExpired
	case codeBurned:
		return u, ErrCodeBurned
	default:
		return u, ErrNoCode
	}
	phone := u.Phone
	u, err = s.dir.UpdateUser(ctx, id, func(u *User) error {
		if u.Phone != phone { // changed while the code was checked
			return ErrNoCode
		}
		u.PhoneVerified = true
		return nil
	})
	if err != nil {
		return u, err
	}
	// The audit log keeps who proved which number, its last digits only.
	return u, s.dir.auditDone(ctx, AuditEntry{Actor: id, Action: "user.phone_verified", Target: id,
		Detail: "number ending " + phone[max(0, len(phone)-4):]})
}
