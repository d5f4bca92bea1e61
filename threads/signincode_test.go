package threads

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"
)

// seedPhones adds carol (phone only, verified), dave (phone only, not
// verified) and erin (verified, opted out of texts).
func seedPhones(t *testing.T, e *env) {
	t.Helper()
	for _, u := range []User{
		{ID: "carol", Name: "Carol", Phone: "+15550001111", PhoneVerified: true},
		{ID: "dave", Name: "Dave", Phone: "+15550002222"},
		{ID: "erin", Name: "Erin", Phone: "+15550003333", PhoneVerified: true, SMSOptOut: true},
	} {
		if _, err := e.Directory.AddUser(e.ctx, u); err != nil {
			t.Fatal(err)
		}
	}
}

func TestSignInCodeOnceAndHashed(t *testing.T) {
	e := newEnv(t)
	seedPhones(t, e)
	code, u, err := e.Auth.NewSignInCode(e.ctx, "+15550001111")
	if err != nil || u.ID != "carol" || !codePattern.MatchString(code) {
		t.Fatalf("code %q for %q: %v", code, u.ID, err)
	}
	// Only a salted hash is stored, under a hash of the number, and the
	// record goes an hour after the code stops working.
	keys, _ := e.redis.Keys(e.ctx, e.redis.Prefix+"{auth}:code:*")
	if len(keys) != 1 || strings.Contains(keys[0], "15550001111") {
		t.Fatalf("keys = %v", keys)
	}
	stored := e.redis.Client.HGetAll(e.ctx, keys[0]).Val()
	for f, v := range stored {
		if strings.Contains(v, code) {
			t.Errorf("field %s holds the code: %q", f, v)
		}
	}
	if stored["hash"] == "" || stored["salt"] == "" || stored["owner"] != "carol" || stored["to"] != hashSecret("+15550001111") {
		t.Errorf("stored %v", stored)
	}
	if ttl := e.redis.Client.PTTL(e.ctx, keys[0]).Val(); ttl <= CodeValidity+codeMemory-time.Minute || ttl > CodeValidity+codeMemory {
		t.Fatalf("ttl = %s, want about %s", ttl, CodeValidity+codeMemory)
	}
	// Used once, atomically, however many try at the same time.
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins := 0
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			u, err := e.Auth.ConsumeSignInCode(e.ctx, "+15550001111", code)
			if err == nil && u.ID == "carol" {
				mu.Lock()
				wins++
				mu.Unlock()
			} else if !errors.Is(err, ErrBadCredential) {
				t.Errorf("consume: %v", err)
			}
		}()
	}
	wg.Wait()
	if wins != 1 {
		t.Fatalf("%d sign-ins with one code", wins)
	}
	// A second code replaces the first.
	first, _, _ := e.Auth.NewSignInCode(e.ctx, "+15550001111")
	second, _, _ := e.Auth.NewSignInCode(e.ctx, "+15550001111")
	if first != second {
		if _, err := e.Auth.ConsumeSignInCode(e.ctx, "+15550001111", first); !errors.Is(err, ErrBadCredential) {
			t.Errorf("replaced code: %v", err)
		}
	}
	if u, err := e.Auth.ConsumeSignInCode(e.ctx, "+15550001111", second); err != nil || u.ID != "carol" {
		t.Errorf("newest code: %v", err)
	}
}

func TestSignInCodeTriesAndExpiry(t *testing.T) {
	e := newEnv(t)
	seedPhones(t, e)
	const phone = "+15550001111"
	code, _, err := e.Auth.NewSignInCode(e.ctx, phone)
	if err != nil {
		t.Fatal(err)
	}
	// Four wrong codes leave the right one working...
	for i := 1; i < MaxCodeTries; i++ {
		if _, err := e.Auth.ConsumeSignInCode(e.ctx, phone, wrongCode(code, i)); !errors.Is(err, ErrBadCredential) {
			t.Fatalf("wrong code %d: %v", i, err)
		}
	}
	// ...malformed ones are refused without counting...
	for _, bad := range []string{"", "12345", "1234567", "abcdef", " " + code, code + "\n"} {
		if _, err := e.Auth.ConsumeSignInCode(e.ctx, phone, bad); !errors.Is(err, ErrBadCredential) {
			t.Errorf("code %q: %v", bad, err)
		}
	}
	if u, err := e.Auth.ConsumeSignInCode(e.ctx, phone, code); err != nil || u.ID != "carol" {
		t.Fatalf("right code after 4 wrong: %v", err)
	}
	// ...the fifth wrong one burns it.
	code, _, _ = e.Auth.NewSignInCode(e.ctx, phone)
	for i := 1; i <= MaxCodeTries; i++ {
		if _, err := e.Auth.ConsumeSignInCode(e.ctx, phone, wrongCode(code, i)); !errors.Is(err, ErrBadCredential) {
			t.Fatalf("wrong code %d: %v", i, err)
		}
	}
	if _, err := e.Auth.ConsumeSignInCode(e.ctx, phone, code); !errors.Is(err, ErrBadCredential) {
		t.Fatalf("burned code signed in: %v", err)
	}
	// A code past its time does not sign in...
	code, _, _ = e.Auth.NewSignInCode(e.ctx, phone)
	e.clock.Add(CodeValidity)
	if _, err := e.Auth.ConsumeSignInCode(e.ctx, phone, code); !errors.Is(err, ErrBadCredential) {
		t.Fatalf("code past its time: %v", err)
	}
	// ...nor one Redis forgot.
	code, _, _ = e.Auth.NewSignInCode(e.ctx, phone)
	keys, _ := e.redis.Keys(e.ctx, e.redis.Prefix+"{auth}:code:*")
	if len(keys) != 1 {
		t.Fatalf("keys %v", keys)
	}
	e.redis.Client.PExpire(e.ctx, keys[0], time.Millisecond)
	deadline := time.Now().Add(5 * time.Second)
	for e.redis.Client.Exists(e.ctx, keys[0]).Val() == 1 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if _, err := e.Auth.ConsumeSignInCode(e.ctx, phone, code); !errors.Is(err, ErrBadCredential) {
		t.Fatalf("expired code: %v", err)
	}
	// A code for another number does not work for this one.
	if _, err := e.Auth.ConsumeSignInCode(e.ctx, "+15550009999", code); !errors.Is(err, ErrBadCredential) {
		t.Fatalf("unknown number: %v", err)
	}
}

func TestSignInCodeWho(t *testing.T) {
	e := newEnv(t)
	seedPhones(t, e)
	for _, c := range []struct {
		phone string
		want  error
	}{
		{"+15550002222", ErrNotFound}, // not verified: no code
		{"+15550003333", ErrNotFound}, // opted out of texts
		{"+15550009999", ErrNotFound}, // nobody's
		{"15550001111", ErrInvalid},
	} {
		if code, _, err := e.Auth.NewSignInCode(e.ctx, c.phone); !errors.Is(err, c.want) || code != "" {
			t.Errorf("code for %s: %q, %v; want %v", c.phone, code, err, c.want)
		}
	}
	code, _, _ := e.Auth.NewSignInCode(e.ctx, "+15550001111")
	if _, err := e.Directory.UpdateUser(e.ctx, "carol", func(u *User) error { u.Disabled = true; return nil }); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Auth.ConsumeSignInCode(e.ctx, "+15550001111", code); !errors.Is(err, ErrDisabled) {
		t.Errorf("disabled member: %v", err)
	}
	if _, _, err := e.Auth.NewSignInCode(e.ctx, "+15550001111"); !errors.Is(err, ErrDisabled) {
		t.Errorf("code for a disabled member: %v", err)
	}
}

func TestQueueSignInCodeNotice(t *testing.T) {
	e := newEnv(t)
	n := Notice{To: "+15550001111", Kind: NoticeSignInCode, Channel: SMS, Text: "123456"}
	for i := 0; i < 5; i++ {
		if ok, err := e.Queue.QueueNotice(e.ctx, n); err != nil || !ok {
			t.Fatalf("code %d: %v %v", i, ok, err)
		}
	}
	if ok, err := e.Queue.QueueNotice(e.ctx, n); err != nil || ok {
		t.Fatalf("sixth code in an hour queued: %v %v", ok, err)
	}
	if _, err := e.Queue.QueueNotice(e.ctx, Notice{To: "bob@example.org", Kind: NoticeSignInCode, Channel: SMS}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("an address by SMS: %v", err)
	}
}
