package threads

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestAuditLog(t *testing.T) {
	e := newEnv(t)
	entries := []AuditEntry{
		{Actor: "alice", Action: "signin", Target: "alice", Detail: "email link"},
		{Actor: "cli", Action: "user.disable", Target: "bob"},
		{Actor: "alice", Action: "user.role", Target: "carol", Detail: "member -> admin"},
		{Actor: "cli", Action: "user.enable", Target: "bob"},
		{Actor: "cli", Action: "users.export", Target: "all"},
	}
	for _, a := range entries {
		if err := e.Directory.Audit(e.ctx, a); err != nil {
			t.Fatal(err)
		}
		e.clock.Add(time.Minute)
	}
	all, err := e.Directory.AuditLog(e.ctx, AuditFilter{})
	if err != nil || len(all) != 5 {
		t.Fatalf("AuditLog = %d entries, %v", len(all), err)
	}
	first := all[4]
	if first.ID == "" || !first.Time.Equal(newClock().Now()) || first.Actor != "alice" || first.Action != "signin" || first.Detail != "email link" {
		t.Fatalf("oldest entry = %+v", first)
	}
	actions := func(f AuditFilter) []string {
		log, err := e.Directory.AuditLog(e.ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		out := []string{}
		for _, a := range log {
			out = append(out, a.Action+" "+a.Target)
		}
		return out
	}
	cases := []struct {
		name string
		f    AuditFilter
		want []string
	}{
		{"newest first, limited", AuditFilter{Limit: 2}, []string{"users.export all", "user.enable bob"}},
		{"by actor", AuditFilter{Actor: "alice"}, []string{"user.role carol", "signin alice"}},
		{"by action prefix: users. is not user.", AuditFilter{Action: "user."}, []string{"user.enable bob", "user.role carol", "user.disable bob"}},
		{"by exact action", AuditFilter{Action: "user.disable"}, []string{"user.disable bob"}},
		{"by target", AuditFilter{Target: "bob", Actor: "cli"}, []string{"user.enable bob", "user.disable bob"}},
		{"paging back", AuditFilter{Before: all[1].ID}, []string{"user.role carol", "user.disable bob", "signin alice"}},
		{"no match", AuditFilter{Actor: "zed"}, []string{}},
	}
	for _, c := range cases {
		if got := actions(c.f); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
}

func TestAuditPagesThroughALongLog(t *testing.T) {
	e := newEnv(t)
	for i := 0; i < auditPage+20; i++ {
		a := AuditEntry{Actor: "cli", Action: "noise"}
		if i == 3 {
			a = AuditEntry{Actor: "bob", Action: "signin"}
		}
		if err := e.Directory.Audit(e.ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	log, err := e.Directory.AuditLog(e.ctx, AuditFilter{Actor: "bob"})
	if err != nil || len(log) != 1 || log[0].Action != "signin" {
		t.Fatalf("an entry older than one page: %+v, %v", log, err)
	}
}

func TestAuditBadInput(t *testing.T) {
	e := newEnv(t)
	for _, a := range []AuditEntry{
		{Action: "signin"},
		{Actor: "cli", Action: ""},
		{Actor: "cli", Action: "Sign In"},
	} {
		if err := e.Directory.Audit(e.ctx, a); !errors.Is(err, ErrInvalid) {
			t.Errorf("Audit(%+v) = %v, want ErrInvalid", a, err)
		}
	}
	long := AuditEntry{Actor: "cli", Action: "x", Target: strings.Repeat("t", 500), Detail: strings.Repeat("é", 2000) + "\xff"}
	if err := e.Directory.Audit(e.ctx, long); err != nil {
		t.Fatal(err)
	}
	log, _ := e.Directory.AuditLog(e.ctx, AuditFilter{})
	if len(log) != 1 || len(log[0].Target) != maxAuditText || len(log[0].Detail) > maxAuditDetail || !strings.HasPrefix(log[0].Detail, "éé") {
		t.Fatalf("long entry stored as %d/%d bytes", len(log[0].Target), len(log[0].Detail))
	}
	if _, err := e.Directory.AuditLog(e.ctx, AuditFilter{Before: "yesterday"}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("bad Before: %v", err)
	}
}
