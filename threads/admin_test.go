package threads

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestSetRole(t *testing.T) {
	e := newEnv(t)
	e.seed(t, "alice")
	if u, _ := e.Directory.User(e.ctx, "alice"); u.Role != RoleMember {
		t.Fatalf("new user's role = %q, want member", u.Role)
	}
	u, err := e.Directory.SetRole(e.ctx, "cli", "alice", RoleAdmin)
	if err != nil || u.Role != RoleAdmin {
		t.Fatalf("SetRole = %+v, %v", u, err)
	}
	if _, err := e.Directory.SetRole(e.ctx, "cli", "alice", "owner"); !errors.Is(err, ErrInvalid) {
		t.Fatalf("bad role: %v", err)
	}
	if _, err := e.Directory.SetRole(e.ctx, "cli", "zed", RoleAdmin); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown user: %v", err)
	}
	log, _ := e.Directory.AuditLog(e.ctx, AuditFilter{})
	if len(log) != 1 || log[0].Action != "user.role" || log[0].Target != "alice" || log[0].Detail != "member -> admin" || log[0].Actor != "cli" {
		t.Fatalf("audit log %+v, want one user.role entry", log)
	}
}

func TestDisabledUser(t *testing.T) {
	e := newEnv(t)
	e.seed(t, "alice", "bob", "carol")
	e.room(t, "design", Group, "alice", "bob")
	for _, id := range []string{"bob", "carol"} {
		if _, err := e.Chat.SetStatus(e.ctx, id, Status{Availability: Away}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.Directory.DisableUser(e.ctx, "admin1", "bob"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Directory.DisableUser(e.ctx, "admin1", "carol"); err != nil {
		t.Fatal(err)
	}
	// No deliveries: routing sends nothing, not even to the digest, and no job is queued.
	p := e.post(t, "design", "alice", "hello @bob")
	if d := p.Routes["bob"]; d.Channel != Nowhere || d.Reason != "disabled" {
		t.Fatalf("bob routed %+v, want none (disabled)", d)
	}
	if st, err := e.Queue.Stats(e.ctx); err != nil || st.Waiting != 0 {
		t.Fatalf("queue after a line to a disabled member: %+v, %v", st, err)
	}
	// No rooms.
	if err := e.Chat.AddMember(e.ctx, "design", "carol"); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "disabled") {
		t.Fatalf("AddMember of a disabled user: %v", err)
	}
	if _, err := e.Chat.CreateRoom(e.ctx, Room{ID: "side", Members: []string{"alice", "carol"}}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("CreateRoom with a disabled user: %v", err)
	}
	// Enabled again: delivered as before.
	if _, err := e.Directory.EnableUser(e.ctx, "admin1", "bob"); err != nil {
		t.Fatal(err)
	}
	if p := e.post(t, "design", "alice", "welcome back"); p.Routes["bob"].Channel != Email {
		t.Fatalf("bob after enabling: %+v", p.Routes["bob"])
	}
	log, _ := e.Directory.AuditLog(e.ctx, AuditFilter{Actor: "admin1", Action: "user."})
	var got []string
	for _, a := range log {
		got = append(got, a.Action+" "+a.Target)
	}
	if want := []string{"user.enable bob", "user.disable carol", "user.disable bob"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("audit %q, want %q", got, want)
	}
}

func TestRouteDisabled(t *testing.T) {
	for _, in := range []RouteInput{
		{State: StateOnline, Disabled: true},
		{State: StateAway, EmailOK: true, Disabled: true},
		{State: StateOffline, Personal: true, SMSOK: true, Prefer: SMS, Disabled: true},
	} {
		if d := Route(in); d.Channel != Nowhere || d.Channel.Queued() {
			t.Errorf("Route(%+v) = %+v, want nothing", in, d)
		}
	}
}

func TestAllowedDomains(t *testing.T) {
	e := newEnv(t)
	if _, err := e.Directory.AddUser(e.ctx, User{ID: "old", Name: "Old", Emails: []string{"old@elsewhere.net"}}); err != nil {
		t.Fatal(err)
	}
	got, err := e.Directory.SetAllowedDomains(e.ctx, "cli", []string{"Example.org", "@corp.example", "example.org"})
	if want := []string{"corp.example", "example.org"}; err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("SetAllowedDomains = %q, %v; want %q", got, err, want)
	}
	if _, err := e.Directory.SetAllowedDomains(e.ctx, "cli", []string{"not a domain"}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("bad domain: %v", err)
	}
	cases := []struct {
		name string
		u    User
		err  string
	}{
		{"inside", User{ID: "a", Name: "A", Emails: []string{"a@example.org"}}, ""},
		{"inside, other case", User{ID: "b", Name: "B", Emails: []string{"b@CORP.example"}}, ""},
		{"no address at all", User{ID: "c", Name: "C"}, ""},
		{"outside", User{ID: "d", Name: "D", Emails: []string{"d@gmail.example"}},
			"email d@gmail.example: domain gmail.example is not allowed for members (allowed: corp.example, example.org)"},
		{"subdomain is another domain", User{ID: "e", Name: "E", Emails: []string{"e@mail.example.org"}}, "mail.example.org"},
		{"one of two outside", User{ID: "f", Name: "F", Emails: []string{"f@example.org", "f@home.example"}}, "home.example"},
	}
	for _, c := range cases {
		_, err := e.Directory.AddUser(e.ctx, c.u)
		if c.err == "" && err != nil || c.err != "" && (!errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), c.err)) {
			t.Errorf("%s: AddUser = %v, want %q", c.name, err, c.err)
		}
	}
	if _, err := e.Directory.User(e.ctx, "f"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("a refused user was stored: %v", err)
	}
	// A user who already has an outside address keeps it, and can change
	// other things; a new outside address is refused.
	if _, err := e.Directory.UpdateUser(e.ctx, "old", func(u *User) error { u.Name = "Old Timer"; return nil }); err != nil {
		t.Fatalf("update of a user with an old outside address: %v", err)
	}
	_, err = e.Directory.UpdateUser(e.ctx, "old", func(u *User) error { u.Emails = append(u.Emails, "x@other.example"); return nil })
	if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "other.example") {
		t.Fatalf("new outside address: %v", err)
	}
	if _, err := e.Directory.UserByEmail(e.ctx, "x@other.example"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("refused address indexed: %v", err)
	}
	// Cleared: any domain again.
	if got, err := e.Directory.SetAllowedDomains(e.ctx, "cli", nil); err != nil || len(got) != 0 {
		t.Fatalf("clear: %q, %v", got, err)
	}
	if _, err := e.Directory.AddUser(e.ctx, User{ID: "g", Name: "G", Emails: []string{"g@anywhere.example"}}); err != nil {
		t.Fatal(err)
	}
	log, _ := e.Directory.AuditLog(e.ctx, AuditFilter{Action: "domains.set"})
	if len(log) != 2 || log[0].Detail != "none" || log[1].Detail != "corp.example, example.org" {
		t.Fatalf("audit %+v", log)
	}
}

func FuzzNormalizeDomain(f *testing.F) {
	for _, s := range []string{"example.org", "@Corp.Example", "-bad.org", "a..b", "xn--bcher-kva.example", "\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := NormalizeDomain(s)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error %v is not ErrInvalid", err)
			}
			return
		}
		if again, err := NormalizeDomain(n); err != nil || again != n {
			t.Fatalf("NormalizeDomain(%q) = %q, then %q, %v", s, n, again, err)
		}
		if strings.ContainsAny(n, "@ {}") {
			t.Fatalf("domain %q holds a character it must not", n)
		}
	})
}
