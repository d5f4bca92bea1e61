package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"parley/internal/redisclient"
	"parley/internal/syncbuf"
	"parley/threads"
)

// storeFor opens the store the commands of e use, for checks behind their back.
func storeFor(t *testing.T, e env) (*threads.Store, redis.UniversalClient) {
	t.Helper()
	target, err := redisclient.ParseURL(e["PARLEY_REDIS_URL"])
	if err != nil {
		t.Fatal(err)
	}
	rdb := target.Client()
	t.Cleanup(func() { _ = rdb.Close() })
	return threads.New(rdb, threads.Options{Prefix: e["PARLEY_KEY_PREFIX"]}), rdb
}

func TestUserSet(t *testing.T) {
	t.Parallel()
	e := redisEnv(t)
	seed(t, e)
	ok(t, e, "admin", "fields", "set", "office:Office:searchable", "badge:Badge number")
	out := ok(t, e, "user", "set", "bob", "--name", "Robert Ray", "--email", "rob@example.org,bob@example.org", "--phone", "+15550003333",
		"--tz", "Europe/Lisbon", "--digest", "weekly", "--digest-hour", "7", "--quiet", "22:00-07:00", "--channel", "away=sms",
		"--channel", "offline=digest", "--title", "Designer", "--team", "Web", "--interests", "Go, Jazz,go", "--field", "office=Lisbon, Alfama",
		"--field", "badge=42")
	for _, want := range []string{"name:       Robert Ray\n", "emails:     rob@example.org, bob@example.org\n", "phone:      +15550003333 (verified)\n",
		"role:       member\n", "title:      Designer\n", "team:       Web\n", "interests:  go, jazz\n", "fields:     badge=42; office=Lisbon, Alfama\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("user set printed\n%s\nwant it to hold %q", out, want)
		}
	}
	var u threads.User
	if err := json.Unmarshal([]byte(ok(t, e, "user", "set", "bob", "--channel", "offline=default", "--field", "badge=", "--quiet", "off", "--json")), &u); err != nil {
		t.Fatal(err)
	}
	want := map[threads.State]threads.Channel{threads.StateAway: threads.SMS}
	if !reflect.DeepEqual(u.Prefs.Channels, want) || u.Prefs.Quiet != nil || u.Prefs.Digest != threads.DigestWeekly || u.Prefs.DigestHour != 7 ||
		u.TimeZone != "Europe/Lisbon" || !reflect.DeepEqual(u.Profile.Fields, map[string]string{"office": "Lisbon, Alfama"}) {
		t.Fatalf("after the second user set: %+v", u)
	}
	// Only the flags given change; none clears.
	u = threads.User{}
	if err := json.Unmarshal([]byte(ok(t, e, "user", "set", "bob", "--phone", "none", "--interests", "none", "--tz", "none", "--json")), &u); err != nil {
		t.Fatal(err)
	}
	if u.Phone != "" || u.PhoneVerified || u.Profile.Interests != nil || u.TimeZone != "" || u.Name != "Robert Ray" || u.Profile.Title != "Designer" {
		t.Fatalf("after clearing: %+v", u)
	}
	// Quiet hours with a mode; new hours keep the mode.
	ok(t, e, "user", "set", "bob", "--quiet", "22:00-07:00", "--quiet-mode", "email")
	u = threads.User{}
	if err := json.Unmarshal([]byte(ok(t, e, "user", "set", "bob", "--quiet", "23:00-06:00", "--json")), &u); err != nil {
		t.Fatal(err)
	}
	if q := u.Prefs.Quiet; q == nil || *q != (threads.QuietHours{From: "23:00", To: "06:00", Mode: threads.QuietSMSToEmail}) {
		t.Fatalf("quiet hours after changing the hours: %+v", q)
	}
	log := ok(t, e, "admin", "audit", "--action", "user.update")
	if !strings.Contains(log, "phone, time zone, interests") {
		t.Errorf("audit of user set lacks what changed:\n%s", log)
	}
	if !strings.Contains(log, "cli") || strings.Count(log, "user.update") != 5 {
		t.Errorf("audit of user set:\n%s", log)
	}
	// Escalation: a time, off, or back to the server's default.
	for _, c := range []struct{ flag, want string }{{"15m", "15m"}, {"off", "off"}, {"default", ""}} {
		u = threads.User{}
		if err := json.Unmarshal([]byte(ok(t, e, "user", "set", "bob", "--escalate", c.flag, "--json")), &u); err != nil {
			t.Fatal(err)
		}
		if u.Prefs.Escalate != c.want {
			t.Errorf("--escalate %s: preference %q, want %q", c.flag, u.Prefs.Escalate, c.want)
		}
	}
	if out := ok(t, e, "user", "show", "bob"); !strings.Contains(out, "default (PARLEY_ESCALATE_AFTER)") {
		t.Errorf("user show lacks the escalation preference:\n%s", out)
	}
}

func TestProfileAndAdminBadInput(t *testing.T) {
	t.Parallel()
	e := redisEnv(t)
	seed(t, e)
	ok(t, e, "admin", "fields", "set", "office:Office:searchable", "badge")
	ok(t, e, "user", "set", "alice", "--field", "badge=7")
	tests := []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"set without flags", []string{"user", "set", "bob"}, 2, "nothing to change"},
		{"set unknown user", []string{"user", "set", "zed", "--title", "X"}, 1, "parley: user zed: not found"},
		{"set bad phone", []string{"user", "set", "bob", "--phone", "555"}, 2, "E.164"},
		{"set bad email", []string{"user", "set", "bob", "--email", "bob at home"}, 2, "plain address"},
		{"set taken email", []string{"user", "set", "bob", "--email", "alice@example.org"}, 1, "belongs to another user"},
		{"set bad zone", []string{"user", "set", "bob", "--tz", "Mars/Olympus"}, 2, "time zone"},
		{"set bad digest", []string{"user", "set", "bob", "--digest", "hourly"}, 2, "--digest \"hourly\""},
		{"set bad hour", []string{"user", "set", "bob", "--digest-hour", "24"}, 2, "between 0 and 23"},
		{"set bad quiet", []string{"user", "set", "bob", "--quiet", "22-7"}, 2, "HH:MM-HH:MM"},
		{"set bad quiet mode", []string{"user", "set", "bob", "--quiet-mode", "loud"}, 2, "--quiet-mode \"loud\""},
		{"set quiet mode without hours", []string{"user", "set", "bob", "--quiet-mode", "email"}, 2, "needs quiet hours"},
		{"set bad escalate", []string{"user", "set", "bob", "--escalate", "10s"}, 2, "escalation preference \"10s\""},
		{"set bad channel state", []string{"user", "set", "bob", "--channel", "asleep=sms"}, 2, "state must be"},
		{"set bad channel", []string{"user", "set", "bob", "--channel", "away=pigeon"}, 2, "channel must be"},
		{"set channel without =", []string{"user", "set", "bob", "--channel", "away"}, 2, "STATE=CHANNEL"},
		{"set bad interest", []string{"user", "set", "bob", "--interests", "go{}"}, 2, "interest"},
		{"set too many interests", []string{"user", "set", "bob", "--interests", "a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p,q,r,s,t,u"}, 2, "at most 20"},
		{"set long title", []string{"user", "set", "bob", "--title", strings.Repeat("t", 101)}, 2, "title must be"},
		{"set undefined field", []string{"user", "set", "bob", "--field", "shoe=42"}, 2, "\"shoe\" is not defined"},
		{"set field without =", []string{"user", "set", "bob", "--field", "office"}, 2, "NAME=VALUE"},
		{"role bad", []string{"user", "role", "bob", "owner"}, 2, "role \"owner\""},
		{"role missing", []string{"user", "role", "bob"}, 2, "missing ROLE"},
		{"role unknown user", []string{"user", "role", "zed", "admin"}, 1, "parley: user zed: not found"},
		{"disable unknown user", []string{"user", "disable", "zed"}, 1, "parley: user zed: not found"},
		{"enable bad id", []string{"user", "enable", "Zed!"}, 2, "user id"},
		{"search with nothing", []string{"people", "search"}, 2, "give --name"},
		{"search bad limit", []string{"people", "search", "--name", "a", "--limit", "0"}, 2, "--limit 0"},
		{"search unsearchable field", []string{"people", "search", "--field", "badge=7"}, 2, "not searchable"},
		{"search as unknown", []string{"people", "search", "--as", "zed"}, 1, "parley: user zed: not found"},
		{"search as user without interests", []string{"people", "search", "--as", "bob"}, 2, "search by name"},
		{"domains bad", []string{"admin", "domains", "set", "exa mple.org"}, 2, "is not like example.org"},
		{"domains set nothing", []string{"admin", "domains", "set"}, 2, "missing DOMAINS"},
		{"domains unknown word", []string{"admin", "domains", "add", "x.org"}, 2, "unexpected argument \"add\""},
		{"fields bad spec", []string{"admin", "fields", "set", "office:Office:yes"}, 2, "can only be \"searchable\""},
		{"fields bad name", []string{"admin", "fields", "set", "Office"}, 2, "field name"},
		{"fields twice", []string{"admin", "fields", "set", "a", "a"}, 2, "twice"},
		{"fields remove held", []string{"admin", "fields", "set", "office:Office"}, 1, "badge: 1 users hold a value for it; clear them first"},
		{"fields clear missing name", []string{"admin", "fields", "clear"}, 2, "missing NAME"},
		{"retention negative", []string{"admin", "retention", "--", "-3"}, 2, "DAYS \"-3\""},
		{"retention words", []string{"admin", "retention", "a week"}, 2, "DAYS \"a week\""},
		{"retention default without room", []string{"admin", "retention", "default"}, 2, "default needs --room"},
		{"retention unknown room", []string{"admin", "retention", "--room", "nope", "3"}, 1, "parley: room nope: not found"},
		{"retention two args", []string{"admin", "retention", "3", "4"}, 2, "unexpected argument \"4\""},
		{"audit bad limit", []string{"admin", "audit", "--limit", "0"}, 2, "--limit 0"},
		{"audit bad before", []string{"admin", "audit", "--before", "yesterday"}, 2, "audit entry id"},
		{"admin alone", []string{"admin"}, 2, "admin needs a subcommand: domains, fields, retention, presence, reindex, rekey, audit"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := parley(t, e, tc.args...)
			if r.code != tc.code || r.out != "" {
				t.Errorf("exit %d, stdout %q; want exit %d and nothing (stderr %q)", r.code, r.out, tc.code, r.err)
			}
			if strings.Count(r.err, "\n") != 1 || !strings.HasPrefix(r.err, "parley: ") || !strings.Contains(r.err, tc.msg) {
				t.Errorf("stderr %q, want one line holding %q", r.err, tc.msg)
			}
		})
	}
	// Nothing refused was written.
	var bob threads.User
	if err := json.Unmarshal([]byte(ok(t, e, "user", "show", "bob", "--json")), &bob); err != nil {
		t.Fatal(err)
	}
	if bob.Profile.Title != "" || bob.Profile.Interests != nil || bob.Prefs.Digest != "" || len(bob.Emails) != 1 || bob.Role != threads.RoleMember {
		t.Errorf("bob after refused changes: %+v", bob)
	}
	if out := ok(t, e, "admin", "fields"); !strings.Contains(out, "badge") {
		t.Errorf("a refused fields set removed a field:\n%s", out)
	}
}

func TestRoleDisableEnable(t *testing.T) {
	t.Parallel()
	e := redisEnv(t)
	seed(t, e)
	if out := ok(t, e, "user", "role", "alice", "ADMIN"); out != "alice is now admin\n" {
		t.Errorf("user role printed %q", out)
	}
	if out := ok(t, e, "user", "disable", "bob"); !strings.HasPrefix(out, "bob is disabled") {
		t.Errorf("user disable printed %q", out)
	}
	if out := ok(t, e, "user", "show", "bob"); !strings.Contains(out, "disabled:   yes") {
		t.Errorf("user show of a disabled user:\n%s", out)
	}
	out := ok(t, e, "post", "--room", "design", "--as", "alice", "hello")
	if !strings.Contains(out, "bob: none (disabled)\n") {
		t.Errorf("post to a room with a disabled member:\n%s", out)
	}
	ok(t, e, "user", "add", "--id", "dave", "--name", "Dave")
	// A name like another member's is refused (issue 20), when added or set.
	if r := parley(t, e, "user", "add", "--id", "dave3", "--name", "Davе"); r.code == 0 || !strings.Contains(r.err, "too like the name of Dave") {
		t.Errorf("a name with a Cyrillic е like Dave: exit %d, %q", r.code, r.err)
	}
	if r := parley(t, e, "user", "set", "carol", "--name", "DAVE"); r.code == 0 || !strings.Contains(r.err, "too like") {
		t.Errorf("user set --name DAVE: exit %d, %q", r.code, r.err)
	}
	ok(t, e, "user", "disable", "dave")
	if r := parley(t, e, "room", "add-member", "design", "dave"); r.code != 2 || !strings.Contains(r.err, "disabled") {
		t.Errorf("adding a disabled user: exit %d, %q", r.code, r.err)
	}
	var u threads.User
	if err := json.Unmarshal([]byte(ok(t, e, "user", "enable", "bob", "--json")), &u); err != nil || u.Disabled {
		t.Fatalf("user enable --json: %+v, %v", u, err)
	}
	if out := ok(t, e, "post", "--room", "design", "--as", "alice", "again"); !strings.Contains(out, "bob: email (away)") {
		t.Errorf("after enable:\n%s", out)
	}
	var log []threads.AuditEntry
	if err := json.Unmarshal([]byte(ok(t, e, "admin", "audit", "--actor", "cli", "--action", "user.", "--json")), &log); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, a := range log {
		got = append(got, a.Action+" "+a.Target)
	}
	want := []string{"user.enable bob", "user.disable dave", "user.add dave", "user.disable bob", "user.role alice",
		"user.add carol", "user.add bob", "user.add alice"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("audit %q\nwant %q", got, want)
	}
}

func TestPeopleSearchCommand(t *testing.T) {
	t.Parallel()
	e := redisEnv(t)
	seed(t, e)
	ok(t, e, "admin", "fields", "set", "office:Office:searchable")
	ok(t, e, "user", "set", "alice", "--interests", "go,jazz,chess")
	ok(t, e, "user", "set", "bob", "--interests", "go,jazz", "--title", "Designer", "--field", "office=Berlin")
	ok(t, e, "user", "set", "carol", "--interests", "go", "--field", "office=Lisbon")
	out := ok(t, e, "people", "search", "--as", "alice")
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if len(lines) != 3 || strings.Join(strings.Fields(lines[0]), " ") != "ID NAME TITLE TEAM SHARED INTERESTS" ||
		strings.Join(strings.Fields(lines[1]), " ") != "bob Bob Ray Designer - 2 go, jazz" || !strings.HasPrefix(lines[2], "carol") {
		t.Fatalf("people search --as alice:\n%s", out)
	}
	var found []threads.PersonMatch
	if err := json.Unmarshal([]byte(ok(t, e, "people", "search", "--interest", "go", "--interest", "jazz", "--json")), &found); err != nil {
		t.Fatal(err)
	}
	if len(found) != 2 || found[0].ID != "alice" || found[1].ID != "bob" {
		t.Fatalf("people search by interests: %+v", found)
	}
	if out := ok(t, e, "people", "search", "--field", "office=berl"); !strings.Contains(out, "bob") || strings.Contains(out, "carol") {
		t.Errorf("search by field:\n%s", out)
	}
	if out := ok(t, e, "people", "search", "--name", "ray"); !strings.HasPrefix(strings.Split(out, "\n")[1], "bob") {
		t.Errorf("search by name:\n%s", out)
	}
	if out := ok(t, e, "people", "search", "--name", "zz"); out != "nobody found\n" {
		t.Errorf("search with no match printed %q", out)
	}
	if out := ok(t, e, "admin", "reindex"); out != "reindexed 3 users\n" {
		t.Errorf("admin reindex printed %q", out)
	}
	if out := ok(t, e, "people", "search", "--as", "alice"); !strings.Contains(out, "bob") || !strings.Contains(out, "carol") {
		t.Errorf("search after reindex:\n%s", out)
	}
	if r := parley(t, e, "admin", "reindex", "now"); r.code != 2 {
		t.Errorf("admin reindex now: exit %d", r.code)
	}
}

func TestAdminSettingsCommands(t *testing.T) {
	t.Parallel()
	e := redisEnv(t)
	seed(t, e)
	if out := ok(t, e, "admin", "domains"); out != "allowed domains: any\n" {
		t.Errorf("admin domains at first: %q", out)
	}
	if out := ok(t, e, "admin", "domains", "set", "Example.org,corp.example", "@b.example"); out != "allowed domains: b.example, corp.example, example.org\n" {
		t.Errorf("admin domains set: %q", out)
	}
	if r := parley(t, e, "user", "add", "--id", "eve", "--name", "Eve", "--email", "eve@gmail.example"); r.code != 2 ||
		!strings.Contains(r.err, "domain gmail.example is not allowed for members (allowed: b.example, corp.example, example.org)") {
		t.Errorf("user add outside the domains: exit %d, %q", r.code, r.err)
	}
	ok(t, e, "user", "add", "--id", "eve", "--name", "Eve", "--email", "eve@corp.example")
	if out := ok(t, e, "admin", "domains", "clear", "--json"); out != "[]\n" {
		t.Errorf("admin domains clear --json: %q", out)
	}

	if out := ok(t, e, "admin", "fields"); out != "no profile fields defined\n" {
		t.Errorf("admin fields at first: %q", out)
	}
	out := ok(t, e, "admin", "fields", "set", "office:Office:searchable", "languages:Spoken languages", "badge")
	if rows := strings.Split(out, "\n"); len(rows) != 5 || strings.Join(strings.Fields(rows[2]), " ") != "languages Spoken languages no" {
		t.Errorf("admin fields set printed\n%s", out)
	}
	ok(t, e, "user", "set", "bob", "--field", "languages=Portuguese")
	if out := ok(t, e, "admin", "fields", "clear", "languages"); out != "removed the value of languages from 1 users\n" {
		t.Errorf("admin fields clear printed %q", out)
	}
	var defs []threads.ProfileField
	if err := json.Unmarshal([]byte(ok(t, e, "admin", "fields", "set", "office:Office:searchable", "--json")), &defs); err != nil {
		t.Fatal(err)
	}
	if want := []threads.ProfileField{{Name: "office", Label: "Office", Searchable: true}}; !reflect.DeepEqual(defs, want) {
		t.Errorf("fields after removing two: %+v", defs)
	}

	ok(t, e, "room", "create", "--id", "legal", "--name", "Legal", "--members", "alice,bob")
	if out := ok(t, e, "admin", "retention", "30"); !strings.Contains(out, "(every room)  30 days") {
		t.Errorf("admin retention 30:\n%s", out)
	}
	if out := ok(t, e, "admin", "retention", "--room", "legal", "0"); out != "legal: keep forever (set for this room)\n" {
		t.Errorf("admin retention --room legal 0: %q", out)
	}
	if out := ok(t, e, "admin", "retention", "--room", "design"); out != "design: 30 days (the global setting)\n" {
		t.Errorf("admin retention --room design: %q", out)
	}
	var p threads.RetentionPolicy
	if err := json.Unmarshal([]byte(ok(t, e, "admin", "retention", "--json")), &p); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(p, threads.RetentionPolicy{Default: 30, Rooms: map[string]int{"legal": 0}}) {
		t.Errorf("admin retention --json: %+v", p)
	}
	if out := ok(t, e, "admin", "retention", "default", "--room", "legal"); out != "legal: 30 days (the global setting)\n" {
		t.Errorf("admin retention default --room legal: %q", out)
	}

	out = ok(t, e, "admin", "audit", "--limit", "3")
	rows := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if len(rows) != 4 || !strings.Contains(rows[1], "retention.reset") || !strings.Contains(rows[2], "retention.set") ||
		!strings.Contains(rows[3], "retention.set") || !strings.Contains(rows[1], "cli") {
		t.Errorf("admin audit --limit 3:\n%s", out)
	}
	if out := ok(t, e, "admin", "audit", "--actor", "nobody"); out != "no audit entries\n" {
		t.Errorf("admin audit with no match: %q", out)
	}
	out = ok(t, e, "admin", "audit", "--limit", "1000")
	for _, want := range []string{"domains.set", "fields.set", "field.clear", "room.create", "user.update"} {
		if !strings.Contains(out, want) {
			t.Errorf("admin audit lacks %s:\n%s", want, out)
		}
	}
}

func TestRetentionLoop(t *testing.T) {
	t.Parallel()
	e := redisEnv(t)
	seed(t, e)
	st, rdb := storeFor(t, e)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	old := time.Now().Add(-10 * 24 * time.Hour).UnixMilli()
	lines := e["PARLEY_KEY_PREFIX"] + "{r:design}:lines"
	for i := range 3 {
		if err := rdb.XAdd(ctx, &redis.XAddArgs{Stream: lines, ID: strconv.FormatInt(old+int64(i), 10) + "-0",
			Values: []any{"a", "alice", "n", "Alice", "t", "old", "o", "api", "ts", old}}).Err(); err != nil {
			t.Fatal(err)
		}
	}
	ok(t, e, "post", "--room", "design", "--as", "alice", "new")
	ok(t, e, "admin", "retention", "7")
	var logs syncbuf.Buffer
	done := make(chan struct{})
	go func() {
		defer close(done)
		retentionLoop(ctx, st, nil, slog.New(slog.NewTextHandler(&logs, nil)), 20*time.Millisecond)
	}()
	waitFor(t, "the retention log line", 5*time.Second, func() bool { return strings.Contains(logs.String(), "lines_removed=3 rooms=design:3") })
	cancel()
	<-done
	if out := ok(t, e, "lines", "--room", "design"); strings.Contains(out, "old") || !strings.Contains(out, "new") {
		t.Errorf("lines after retention:\n%s", out)
	}
	if n := strings.Count(logs.String(), "retention applied"); n != 1 {
		t.Errorf("%d log lines about retention, want 1 (later runs remove nothing):\n%s", n, logs.String())
	}
}

func FuzzParseFieldSpec(f *testing.F) {
	for _, s := range []string{"office:Office:searchable", "badge", "a:b:c:d", ":x", "office::searchable", "é:\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		fd, err := parseFieldSpec(s)
		if err != nil {
			if exitCode(err) != exitUsage {
				t.Fatalf("parseFieldSpec(%q): %v exits %d, want %d", s, err, exitCode(err), exitUsage)
			}
			return
		}
		if threads.ValidFieldName(fd.Name) != nil || fd.Label == "" {
			t.Fatalf("parseFieldSpec(%q) = %+v", s, fd)
		}
	})
}

func FuzzUserSetFlags(f *testing.F) {
	f.Add("away=sms", "office=Berlin", "22:00-07:00")
	f.Add("=", "=", "-")
	f.Fuzz(func(t *testing.T, channel, field, quiet string) {
		set := map[string]bool{"channel": true, "field": true, "quiet": true}
		_, err := userSetChanges(set, userSetValues{channels: []string{channel}, fields: []string{field}, quiet: quiet})
		if err != nil && exitCode(err) != exitUsage {
			t.Fatalf("%q %q %q: %v exits %d", channel, field, quiet, err, exitCode(err))
		}
	})
}

// TestAdminPresenceShared: two processes started with different idle
// times and the CLI (with a third) agree on a member's presence once
// `parley admin presence` sets the thresholds, and after each change.
func TestAdminPresenceShared(t *testing.T) {
	t.Parallel()
	e := redisEnv(t).with("PARLEY_IDLE_AFTER", "10m")
	ok(t, e, "user", "add", "--id", "bob", "--name", "Bob", "--email", "bob@example.org")
	_, rdb := storeFor(t, e)
	procs := []*threads.Store{
		threads.New(rdb, threads.Options{Prefix: e["PARLEY_KEY_PREFIX"], IdleAfter: time.Hour}),
		threads.New(rdb, threads.Options{Prefix: e["PARLEY_KEY_PREFIX"], IdleAfter: time.Second}),
	}
	ok(t, e, "presence", "heartbeat", "bob")
	agree := func(want threads.State) {
		t.Helper()
		if out := ok(t, e, "presence", "show", "bob"); !strings.Contains(out, "state:      "+string(want)) {
			t.Errorf("the CLI says:\n%s\nwant %s", out, want)
		}
		for i, p := range procs {
			if got, err := p.Chat.Presence(context.Background(), "bob"); err != nil || got.State != want {
				t.Errorf("process %d says %s (%v), want %s", i, got.State, err, want)
			}
		}
	}
	if out := ok(t, e, "admin", "presence", "--idle-after", "1s", "--offline-after", "1h"); !strings.Contains(out, "idle after:     1s") {
		t.Fatalf("admin presence: %s", out)
	}
	time.Sleep(1100 * time.Millisecond) // past the new idle time
	agree(threads.StateAway)
	ok(t, e, "admin", "presence", "--idle-after", "1h", "--offline-after", "8h")
	agree(threads.StateOnline)
	if r := parley(t, e, "admin", "presence", "--idle-after", "9h"); r.code == 0 || !strings.Contains(r.err, "offline after 8h0m0s is shorter than idle after 9h0m0s") {
		t.Errorf("idle longer than offline: exit %d, %q", r.code, r.err)
	}
}
