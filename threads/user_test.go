package threads

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestAddUserValidation(t *testing.T) {
	e := newEnv(t)
	e.seed(t, "alice")
	cases := []struct {
		name string
		user User
		want error
		text string
	}{
		{"bad id", User{ID: "Bob!", Name: "Bob"}, ErrInvalid, "user id"},
		{"empty name", User{ID: "bob", Name: "  "}, ErrInvalid, "name is empty"},
		{"control in name", User{ID: "bob", Name: "Bo\x07b"}, ErrInvalid, "control"},
		{"bad email", User{ID: "bob", Name: "Bob", Emails: []string{"Bob <bob@x.org>"}}, ErrInvalid, "plain address"},
		{"bad phone", User{ID: "bob", Name: "Bob", Phone: "555-1234"}, ErrInvalid, "E.164"},
		{"short phone", User{ID: "bob", Name: "Bob", Phone: "+12345"}, ErrInvalid, "E.164"},
		{"bad zone", User{ID: "bob", Name: "Bob", TimeZone: "Mars/Olympus"}, ErrInvalid, "time zone"},
		{"bad digest", User{ID: "bob", Name: "Bob", Prefs: Prefs{Digest: "hourly"}}, ErrInvalid, "digest"},
		{"bad channel", User{ID: "bob", Name: "Bob", Prefs: Prefs{Channels: map[State]Channel{StateAway: "pigeon"}}}, ErrInvalid, "channel"},
		{"bad quiet", User{ID: "bob", Name: "Bob", Prefs: Prefs{Quiet: &QuietHours{From: "25:00", To: "07:00"}}}, ErrInvalid, "HH:MM"},
		{"taken id", User{ID: "alice", Name: "Other"}, ErrExists, "alice"},
		{"taken email", User{ID: "bob", Name: "Bob", Emails: []string{"ALICE@example.org"}}, ErrExists, "alice@example.org"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := e.Directory.AddUser(e.ctx, c.user)
			if !errors.Is(err, c.want) || !strings.Contains(err.Error(), c.text) {
				t.Fatalf("AddUser(%+v) = %v, want %v mentioning %q", c.user, err, c.want, c.text)
			}
		})
	}
	users, err := e.Directory.Users(e.ctx)
	if err != nil || len(users) != 1 {
		t.Fatalf("after refused adds: %d users, %v; want only alice", len(users), err)
	}
}

func TestUserRoundTripAndIndexes(t *testing.T) {
	e := newEnv(t)
	in := User{ID: "bob", Name: " Bob Ray ", Emails: []string{"Bob@Example.org", "bob@example.org", "ray@home.example"},
		Phone: "+15550001111", PhoneVerified: true, TimeZone: "Europe/Berlin",
		Prefs: Prefs{Digest: DigestWeekly, DigestHour: 8, Quiet: &QuietHours{From: "22:00", To: "07:00"}}}
	got, err := e.Directory.AddUser(e.ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != "Bob Ray" || len(got.Emails) != 2 || got.Emails[0] != "bob@example.org" {
		t.Fatalf("normalised user = %+v", got)
	}
	for _, find := range []func() (User, error){
		func() (User, error) { return e.Directory.User(e.ctx, "bob") },
		func() (User, error) { return e.Directory.UserByEmail(e.ctx, "RAY@home.example") },
		func() (User, error) { return e.Directory.UserByPhone(e.ctx, "+15550001111") },
	} {
		u, err := find()
		if err != nil || u.ID != "bob" || u.Location().String() != "Europe/Berlin" || u.Prefs.Quiet.From != "22:00" {
			t.Fatalf("lookup = %+v, %v", u, err)
		}
	}
	if _, err := e.Directory.UserByEmail(e.ctx, "nobody@example.org"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown email: %v", err)
	}

	// Changing the address frees the old one and takes the new one.
	if _, err := e.Directory.UpdateUser(e.ctx, "bob", func(u *User) error {
		u.Emails = []string{"bob@new.example"}
		u.Phone = "+15550002222"
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Directory.UserByEmail(e.ctx, "bob@example.org"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("old address still indexed: %v", err)
	}
	if _, err := e.Directory.UserByPhone(e.ctx, "+15550001111"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("old phone still indexed: %v", err)
	}
	if u, err := e.Directory.UserByPhone(e.ctx, "+15550002222"); err != nil || u.ID != "bob" {
		t.Fatalf("new phone: %+v %v", u, err)
	}
	// An update that breaks a rule changes nothing.
	if _, err := e.Directory.UpdateUser(e.ctx, "bob", func(u *User) error { u.Phone = "nope"; return nil }); !errors.Is(err, ErrInvalid) {
		t.Fatalf("bad update: %v", err)
	}
	if u, _ := e.Directory.User(e.ctx, "bob"); u.Phone != "+15550002222" {
		t.Fatalf("phone after refused update = %q", u.Phone)
	}
}

func TestUpdateUserConcurrent(t *testing.T) {
	e := newEnv(t)
	e.seed(t, "bob")
	done := make(chan error)
	for i := 0; i < 5; i++ {
		go func() {
			_, err := e.Directory.UpdateUser(e.ctx, "bob", func(u *User) error { u.Prefs.DigestHour++; return nil })
			done <- err
		}()
	}
	for i := 0; i < 5; i++ {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	if u, _ := e.Directory.User(e.ctx, "bob"); u.Prefs.DigestHour != 5 {
		t.Fatalf("digest hour after 5 concurrent increments = %d; an update was lost", u.Prefs.DigestHour)
	}
}

// TestUpdateUserForgetsFailuresOfOldAddresses: a changed phone or email
// list starts clean, whichever door changed it; other changes keep the flags.
func TestUpdateUserForgetsFailuresOfOldAddresses(t *testing.T) {
	tests := []struct {
		name   string
		change func(*User)
		want   [3]bool // EmailFailing, PhoneFailing, SMSOptOut
	}{
		{"name only", func(u *User) { u.Name = "Bob B" }, [3]bool{true, true, true}},
		{"new phone", func(u *User) { u.Phone = "+15550002222" }, [3]bool{true, false, false}},
		{"no phone", func(u *User) { u.Phone = "" }, [3]bool{true, false, false}},
		{"new email", func(u *User) { u.Emails = []string{"bob@example.com"} }, [3]bool{false, true, true}},
		{"one more email", func(u *User) { u.Emails = append(u.Emails, "b2@example.org") }, [3]bool{false, true, true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			if _, err := e.Directory.AddUser(e.ctx, User{ID: "bob", Name: "Bob", Emails: []string{"bob@example.org"},
				Phone: "+15550001111", EmailFailing: true, PhoneFailing: true, SMSOptOut: true}); err != nil {
				t.Fatal(err)
			}
			u, err := e.Directory.UpdateUser(e.ctx, "bob", func(u *User) error { tt.change(u); return nil })
			if err != nil {
				t.Fatal(err)
			}
			stored, _ := e.Directory.User(e.ctx, "bob")
			for _, got := range []User{u, stored} {
				if g := [3]bool{got.EmailFailing, got.PhoneFailing, got.SMSOptOut}; g != tt.want {
					t.Errorf("email failing, phone failing, opted out = %v, want %v", g, tt.want)
				}
			}
		})
	}
}

func TestQuietHours(t *testing.T) {
	berlin, _ := time.LoadLocation("Europe/Berlin")
	at := func(h, m int) time.Time { return time.Date(2026, 11, 25, h, m, 0, 0, berlin) }
	cases := []struct {
		q    QuietHours
		t    time.Time
		want bool
	}{
		{QuietHours{From: "22:00", To: "07:00"}, at(23, 0), true},
		{QuietHours{From: "22:00", To: "07:00"}, at(6, 59), true},
		{QuietHours{From: "22:00", To: "07:00"}, at(7, 0), false},
		{QuietHours{From: "22:00", To: "07:00"}, at(12, 0), false},
		{QuietHours{From: "12:00", To: "13:00"}, at(12, 30), true},
		{QuietHours{From: "12:00", To: "13:00"}, at(13, 30), false},
		{QuietHours{From: "12:00", To: "12:00"}, at(12, 0), false},
		{QuietHours{From: "bad", To: "13:00"}, at(12, 0), false},
	}
	for _, c := range cases {
		// The clock is UTC; the window is read in the member's zone.
		if got := c.q.Active(c.t.UTC(), berlin); got != c.want {
			t.Errorf("%v at %s = %v, want %v", c.q, c.t.Format("15:04"), got, c.want)
		}
	}
}

// TestChannelPrefsHonouredOrRefused: a channel preference that routing
// would not honour is refused when set; one that stops working later does
// not block other changes.
func TestChannelPrefsHonouredOrRefused(t *testing.T) {
	e := newEnv(t)
	if _, err := e.Directory.AddUser(e.ctx, User{ID: "carol", Name: "Carol", Emails: []string{"carol@example.org"},
		Phone: "+15550001111", PhoneVerified: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Directory.AddUser(e.ctx, User{ID: "dan", Name: "Dan", Phone: "+15550002222"}); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		user string
		st   State
		c    Channel
		ok   bool
	}{
		{"carol", StateAway, SMS, true},
		{"carol", StateOffline, Email, true},
		{"carol", StateOffline, Hold, true},
		{"carol", StateOnline, Email, false},
		{"carol", StateOnline, Live, true},
		{"carol", StateBusy, SMS, false},
		{"dan", StateAway, SMS, false},   // phone not verified
		{"dan", StateAway, Email, false}, // no address
	}
	for _, c := range cases {
		_, err := e.Directory.UpdateUser(e.ctx, c.user, func(u *User) error {
			u.Prefs.Channels = map[State]Channel{c.st: c.c}
			return nil
		})
		if (err == nil) != c.ok || (err != nil && !errors.Is(err, ErrInvalid)) {
			t.Errorf("%s %s=%s: %v, want ok=%v", c.user, c.st, c.c, err, c.ok)
		}
	}
	// carol has away=sms... set it, then her new phone (unverified) is still taken.
	if _, err := e.Directory.UpdateUser(e.ctx, "carol", func(u *User) error { u.Prefs.Channels = map[State]Channel{StateAway: SMS}; return nil }); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Directory.UpdateUser(e.ctx, "carol", func(u *User) error { u.Phone, u.PhoneVerified = "+15550003333", false; return nil }); err != nil {
		t.Errorf("a new phone refused because of an older preference: %v", err)
	}
}
