package threads

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// seedUnverified adds dave and frank (phones not verified), gina (email
// only) and hal (not verified, opted out of texts).
func seedUnverified(t *testing.T, e *env) {
	t.Helper()
	for _, u := range []User{
		{ID: "dave", Name: "Dave", Phone: "+15550002222"},
		{ID: "frank", Name: "Frank", Phone: "+15550004444"},
		{ID: "gina", Name: "Gina", Emails: []string{"gina@example.org"}},
		{ID: "hal", Name: "Hal", Phone: "+15550005555", SMSOptOut: true},
		{ID: "ivy", Name: "Ivy", Phone: "+15550006666", PhoneVerified: true},
	} {
		if _, err := e.Directory.AddUser(e.ctx, u); err != nil {
			t.Fatal(err)
		}
	}
}

// wrongCode is code with its first digit moved on by i.
func wrongCode(code string, i int) string {
	w := []byte(code)
	w[0] = '0' + (w[0]-'0'+byte(i))%10
	return string(w)
}

func TestPhoneCodeConfirms(t *testing.T) {
	e := newEnv(t)
	seedUnverified(t, e)
	code, u, err := e.Auth.NewPhoneCode(e.ctx, "dave")
	if err != nil || u.Phone != "+15550002222" || !codePattern.MatchString(code) {
		t.Fatalf("code %q for %q: %v", code, u.Phone, err)
	}
	// Only a salted hash is kept, bound to the number.
	stored := e.redis.Client.HGetAll(e.ctx, e.Auth.k.phoneCode("dave")).Val()
	if stored["owner"] != "dave" || stored["to"] != hashSecret("+15550002222") || stored["hash"] == "" || strings.Contains(stored["hash"], code) {
		t.Fatalf("stored %v", stored)
	}
	// A wrong code says how many tries are left and verifies nothing.
	if _, err := e.Auth.ConfirmPhone(e.ctx, "dave", wrongCode(code, 1)); !errors.Is(err, ErrCodeWrong) || !strings.Contains(err.Error(), "4 tries left") {
		t.Fatalf("wrong code: %v", err)
	}
	if u, _ := e.Directory.User(e.ctx, "dave"); u.PhoneVerified {
		t.Fatal("a wrong code verified the phone")
	}
	u, err = e.Auth.ConfirmPhone(e.ctx, "dave", code)
	if err != nil || !u.PhoneVerified {
		t.Fatalf("right code: %+v %v", u, err)
	}
	if u, _ := e.Directory.User(e.ctx, "dave"); !u.PhoneVerified {
		t.Fatal("not stored verified")
	}
	if log, err := e.Directory.AuditLog(e.ctx, AuditFilter{Action: "user.phone_verified"}); err != nil || len(log) != 1 ||
		log[0].Actor != "dave" || log[0].Target != "dave" || !strings.HasSuffix(log[0].Detail, "ending "+u.Phone[len(u.Phone)-4:]) ||
		strings.Contains(log[0].Detail, u.Phone) {
		t.Fatalf("audit of the verification = %+v, %v; want one entry by dave with the number's last 4 digits only", log, err)
	}
	// Used: the code is gone, and the phone needs no other.
	if _, err := e.Auth.ConfirmPhone(e.ctx, "dave", code); !errors.Is(err, ErrPhoneVerified) {
		t.Fatalf("second use: %v", err)
	}
	if _, _, err := e.Auth.NewPhoneCode(e.ctx, "dave"); !errors.Is(err, ErrPhoneVerified) {
		t.Fatalf("code for a verified phone: %v", err)
	}
	// Changing the number (as every door does) needs a new proof.
	if _, err := e.Directory.UpdateUser(e.ctx, "dave", func(u *User) error { u.Phone, u.PhoneVerified = "+15550007777", false; return nil }); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.Auth.NewPhoneCode(e.ctx, "dave"); err != nil {
		t.Fatalf("code for the new number: %v", err)
	}
}

func TestPhoneCodeRefusals(t *testing.T) {
	for _, c := range []struct {
		name string
		// do asks for a code for dave (or not) and returns what ConfirmPhone
		// returns for the code it chooses.
		do   func(t *testing.T, e *env) error
		want error
	}{
		{"no code asked", func(t *testing.T, e *env) error {
			_, err := e.Auth.ConfirmPhone(e.ctx, "dave", "123456")
			return err
		}, ErrNoCode},
		{"expired", func(t *testing.T, e *env) error {
			code, _, _ := e.Auth.NewPhoneCode(e.ctx, "dave")
			e.clock.Add(CodeValidity)
			_, err := e.Auth.ConfirmPhone(e.ctx, "dave", code)
			return err
		}, ErrCodeExpired},
		{"burned by wrong tries, the right one too", func(t *testing.T, e *env) error {
			code, _, _ := e.Auth.NewPhoneCode(e.ctx, "dave")
			for i := 1; i < MaxCodeTries; i++ {
				if _, err := e.Auth.ConfirmPhone(e.ctx, "dave", wrongCode(code, i)); !errors.Is(err, ErrCodeWrong) {
					t.Fatalf("wrong code %d: %v", i, err)
				}
			}
			if _, err := e.Auth.ConfirmPhone(e.ctx, "dave", wrongCode(code, MaxCodeTries)); !errors.Is(err, ErrCodeBurned) {
				t.Fatalf("last wrong code: %v", err)
			}
			_, err := e.Auth.ConfirmPhone(e.ctx, "dave", code)
			return err
		}, ErrCodeBurned},
		{"malformed codes count no try", func(t *testing.T, e *env) error {
			code, _, _ := e.Auth.NewPhoneCode(e.ctx, "dave")
			for range MaxCodeTries + 1 {
				for _, bad := range []string{"", "12345", "1234567", "abcdef", " " + code} {
					if _, err := e.Auth.ConfirmPhone(e.ctx, "dave", bad); !errors.Is(err, ErrInvalid) {
						t.Fatalf("code %q: %v", bad, err)
					}
				}
			}
			_, err := e.Auth.ConfirmPhone(e.ctx, "dave", code)
			return err
		}, nil},
		{"number changed after the code", func(t *testing.T, e *env) error {
			code, _, _ := e.Auth.NewPhoneCode(e.ctx, "dave")
			if _, err := e.Directory.UpdateUser(e.ctx, "dave", func(u *User) error { u.Phone = "+15550007777"; return nil }); err != nil {
				t.Fatal(err)
			}
			_, err := e.Auth.ConfirmPhone(e.ctx, "dave", code)
			return err
		}, ErrNoCode},
		{"another member's code", func(t *testing.T, e *env) error {
			code, _, _ := e.Auth.NewPhoneCode(e.ctx, "dave")
			if _, err := e.Auth.ConfirmPhone(e.ctx, "frank", code); !errors.Is(err, ErrNoCode) {
				t.Fatalf("frank typed dave's code: %v", err)
			}
			if u, _ := e.Directory.User(e.ctx, "frank"); u.PhoneVerified {
				t.Fatal("frank's phone verified by dave's code")
			}
			_, err := e.Auth.ConfirmPhone(e.ctx, "dave", code) // still dave's, untouched
			return err
		}, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t)
			seedUnverified(t, e)
			err := c.do(t, e)
			if c.want == nil && err != nil || c.want != nil && !errors.Is(err, c.want) {
				t.Fatalf("got %v, want %v", err, c.want)
			}
			u, _ := e.Directory.User(e.ctx, "dave")
			if u.PhoneVerified != (c.want == nil) {
				t.Fatalf("verified = %v", u.PhoneVerified)
			}
		})
	}
}

func TestPhoneCodeWho(t *testing.T) {
	e := newEnv(t)
	seedUnverified(t, e)
	for _, c := range []struct {
		id   string
		want error
	}{
		{"gina", ErrNoPhone},
		{"ivy", ErrPhoneVerified},
		{"hal", ErrInvalid}, // sent STOP: parley may not text it
		{"nobody", ErrNotFound},
	} {
		if code, _, err := e.Auth.NewPhoneCode(e.ctx, c.id); !errors.Is(err, c.want) || code != "" {
			t.Errorf("code for %s: %q, %v; want %v", c.id, code, err, c.want)
		}
	}
	if _, err := e.Auth.ConfirmPhone(e.ctx, "gina", "123456"); !errors.Is(err, ErrNoPhone) {
		t.Errorf("confirm without a phone: %v", err)
	}
	if _, err := e.Directory.UpdateUser(e.ctx, "frank", func(u *User) error { u.Disabled = true; return nil }); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.Auth.NewPhoneCode(e.ctx, "frank"); !errors.Is(err, ErrDisabled) {
		t.Errorf("code for a disabled member: %v", err)
	}
}

func TestPhoneCodeHourlyShare(t *testing.T) {
	e := newEnv(t)
	seedUnverified(t, e)
	var last string
	for i := range MaxCodesPerHour {
		code, _, err := e.Auth.NewPhoneCode(e.ctx, "dave")
		if err != nil {
			t.Fatalf("code %d: %v", i, err)
		}
		last = code
	}
	_, _, err := e.Auth.NewPhoneCode(e.ctx, "dave")
	var tm *TooManyCodesError
	if !errors.As(err, &tm) || tm.Wait <= 0 || tm.Wait > time.Hour {
		t.Fatalf("code past the share: %v", err)
	}
	// The refused code changed nothing: the last one sent still works,
	// and other members and purposes have their own share.
	if _, _, err := e.Auth.NewPhoneCode(e.ctx, "frank"); err != nil {
		t.Fatalf("frank's code: %v", err)
	}
	if _, err := e.Auth.ConfirmPhone(e.ctx, "dave", last); err != nil {
		t.Fatalf("last code sent: %v", err)
	}
	if _, _, err := e.Auth.NewSignInCode(e.ctx, "+15550002222"); err != nil {
		t.Fatalf("sign-in code after the phone codes: %v", err)
	}
}
