package threads

import (
	"errors"
	"slices"
	"testing"
	"time"
)

const (
	phoneA = "+15550001111"
	num1   = "+15550009001"
	num2   = "+15550009002"
)

func TestBindSMSNumber(t *testing.T) {
	e := newEnv(t)
	pool := []string{num1, num2}
	steps := []struct {
		room string
		pool []string
		want string
	}{
		{"design", pool, num1},
		{"design", pool, num1}, // stable
		{"ops", pool, num2},
		{"sales", pool, ""},         // pool used up
		{"ops", []string{num1}, ""}, // num2 left the pool: binding dropped, num1 taken
		{"ops", []string{num1, num2}, num2},
	}
	for i, s := range steps {
		got, err := e.SMS.BindSMSNumber(e.ctx, phoneA, s.room, s.pool)
		if err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		if got != s.want {
			t.Fatalf("step %d: bind %s = %q, want %q", i, s.room, got, s.want)
		}
	}
	for n, want := range map[string]string{num1: "design", num2: "ops"} {
		if got, err := e.SMS.SMSBoundRoom(e.ctx, phoneA, n); err != nil || got != want {
			t.Errorf("bound room on %s = %q, %v; want %s", n, got, err, want)
		}
	}
	if got, _ := e.SMS.SMSBoundRoom(e.ctx, "+15550002222", num1); got != "" {
		t.Errorf("another phone's binding = %q", got)
	}
	if _, err := e.SMS.BindSMSNumber(e.ctx, "0049 30 1234", "design", pool); !errors.Is(err, ErrInvalid) {
		t.Errorf("bind for a malformed phone: %v", err)
	}
}

func TestSMSLastRoom(t *testing.T) {
	e := newEnv(t)
	if r, err := e.SMS.SMSLastRoom(e.ctx, phoneA, num1); err != nil || r != "" {
		t.Fatalf("last room before any text = %q, %v", r, err)
	}
	if err := e.SMS.NoteSMSSent(e.ctx, phoneA, "", "design"); err != nil {
		t.Fatal(err)
	}
	if r, _ := e.SMS.SMSLastRoom(e.ctx, phoneA, num1); r != "design" {
		t.Errorf("last room through a service = %q, want design", r)
	}
	if err := e.SMS.NoteSMSSent(e.ctx, phoneA, num1, "ops"); err != nil {
		t.Fatal(err)
	}
	if r, _ := e.SMS.SMSLastRoom(e.ctx, phoneA, num1); r != "ops" {
		t.Errorf("last room on %s = %q, want ops", num1, r)
	}
	if r, _ := e.SMS.SMSLastRoom(e.ctx, phoneA, num2); r != "design" {
		t.Errorf("last room on %s = %q, want design (any number)", num2, r)
	}
}

func TestReserveSMSSegments(t *testing.T) {
	e := newEnv(t)
	u := User{ID: "carol", TimeZone: "America/New_York"}
	for i, s := range []struct {
		n      int
		ok     bool
		before int
	}{{3, true, 0}, {2, true, 3}, {1, false, 5}, {0, true, 5}} {
		ok, used, err := e.SMS.ReserveSMSSegments(e.ctx, u, s.n, 5)
		if err != nil || ok != s.ok || used != s.before {
			t.Fatalf("step %d: reserve %d = %v, %d, %v; want %v, %d", i, s.n, ok, used, err, s.ok, s.before)
		}
	}
	if err := e.SMS.RefundSMSSegments(e.ctx, u, 2); err != nil {
		t.Fatal(err)
	}
	if ok, used, _ := e.SMS.ReserveSMSSegments(e.ctx, u, 2, 5); !ok || used != 3 {
		t.Errorf("after a refund: %v, %d", ok, used)
	}
	// A new day in carol's time zone starts a new budget.
	e.clock.Add(24 * time.Hour)
	if ok, used, _ := e.SMS.ReserveSMSSegments(e.ctx, u, 5, 5); !ok || used != 0 {
		t.Errorf("next day: %v, %d", ok, used)
	}
}

func TestSMSStatus(t *testing.T) {
	e := newEnv(t)
	if err := e.SMS.RecordSMS(e.ctx, SMSMessage{SID: "SM1", Member: "carol", Room: "design", Lines: []string{"1-0", "2-0"},
		To: phoneA, From: num1, Segments: 2}); err != nil {
		t.Fatal(err)
	}
	for _, s := range []struct {
		status string
		code   int
		want   string
	}{{"sent", 0, "sent"}, {"undelivered", 30003, "undelivered"}, {"sent", 0, "undelivered"}, {"delivered", 0, "delivered"}} {
		m, err := e.SMS.SetSMSStatus(e.ctx, "SM1", s.status, s.code)
		if err != nil {
			t.Fatal(err)
		}
		if m.Status != s.want || m.Member != "carol" || m.Room != "design" || !slices.Equal(m.Lines, []string{"1-0", "2-0"}) {
			t.Fatalf("after %s: %+v", s.status, m)
		}
	}
	// A callback that comes before the record: the record keeps the status.
	if m, err := e.SMS.SetSMSStatus(e.ctx, "SM2", "delivered", 0); err != nil || m.Member != "" || m.Status != "delivered" {
		t.Fatalf("early callback: %+v, %v", m, err)
	}
	if err := e.SMS.RecordSMS(e.ctx, SMSMessage{SID: "SM2", Member: "carol", Room: "ops", To: phoneA}); err != nil {
		t.Fatal(err)
	}
	if m, err := e.SMS.SMSMessageBySID(e.ctx, "SM2"); err != nil || m.Status != "delivered" || m.Room != "ops" || m.Sent.IsZero() {
		t.Fatalf("record after an early callback: %+v, %v", m, err)
	}
	if _, err := e.SMS.SMSMessageBySID(e.ctx, "SM3"); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown SID: %v", err)
	}
	if _, err := e.SMS.SetSMSStatus(e.ctx, "SM 1;", "sent", 0); !errors.Is(err, ErrInvalid) {
		t.Errorf("malformed SID: %v", err)
	}
}

func TestPhoneFailurePolicy(t *testing.T) {
	e := newEnv(t)
	if _, err := e.Directory.AddUser(e.ctx, User{ID: "carol", Name: "Carol", Phone: phoneA, PhoneVerified: true}); err != nil {
		t.Fatal(err)
	}
	failing := func() bool {
		u, err := e.Directory.User(e.ctx, "carol")
		if err != nil {
			t.Fatal(err)
		}
		return u.PhoneFailing
	}
	fail := func(sid string, invalid bool) bool {
		t.Helper()
		marked, err := e.SMS.PhoneFailed(e.ctx, "carol", phoneA, sid, invalid)
		if err != nil {
			t.Fatal(err)
		}
		return marked
	}
	// Two failures, the same SID twice, a delivery, two more: not yet.
	if fail("SM1", false) || fail("SM2", false) || fail("SM2", false) {
		t.Fatal("marked before three failures")
	}
	if err := e.SMS.PhoneDelivered(e.ctx, phoneA); err != nil {
		t.Fatal(err)
	}
	if fail("SM3", false) || fail("SM4", false) || failing() {
		t.Fatal("a delivery did not start the count over")
	}
	// Failures older than the window are forgotten.
	e.clock.Add(PhoneFailureWindow + time.Hour)
	if fail("SM5", false) || fail("SM6", false) {
		t.Fatal("old failures still counted")
	}
	if !fail("SM7", false) || !failing() {
		t.Fatal("three failures within the window did not mark the phone")
	}
	// An invalid number is marked at once; a changed number is not blamed.
	if _, err := e.Directory.UpdateUser(e.ctx, "carol", func(u *User) error { u.PhoneFailing = false; return nil }); err != nil {
		t.Fatal(err)
	}
	if fail("SM8", true) != true || !failing() {
		t.Fatal("an invalid number was not marked at once")
	}
	if _, err := e.Directory.UpdateUser(e.ctx, "carol", func(u *User) error { u.PhoneFailing = false; u.Phone = "+15550003333"; return nil }); err != nil {
		t.Fatal(err)
	}
	if fail("SM9", true) || failing() {
		t.Fatal("the member's new number was blamed for the old one")
	}
}

func TestSMSRepliesAndInbound(t *testing.T) {
	e := newEnv(t)
	if ok, _ := e.SMS.SMSOnceADay(e.ctx, phoneA, "unknown"); !ok {
		t.Fatal("first daily reply refused")
	}
	if ok, _ := e.SMS.SMSOnceADay(e.ctx, phoneA, "unknown"); ok {
		t.Fatal("second daily reply allowed")
	}
	if ok, _ := e.SMS.SMSOnceADay(e.ctx, phoneA, "other"); !ok {
		t.Fatal("a reply of another kind refused")
	}
	for i := 1; i <= SMSReplyLimit+2; i++ {
		ok, err := e.SMS.AllowSMSReply(e.ctx, phoneA)
		if err != nil {
			t.Fatal(err)
		}
		if ok != (i <= SMSReplyLimit) {
			t.Fatalf("reply %d allowed = %v", i, ok)
		}
	}
	if seen, _ := e.SMS.SMSInboundSeen(e.ctx, phoneA, "SM1"); seen {
		t.Fatal("new SID seen")
	}
	if err := e.SMS.MarkSMSInbound(e.ctx, phoneA, "SM1"); err != nil {
		t.Fatal(err)
	}
	if seen, _ := e.SMS.SMSInboundSeen(e.ctx, phoneA, "SM1"); !seen {
		t.Fatal("handled SID not seen")
	}
}
