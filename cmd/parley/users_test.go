package main

import (
	"encoding/json"
	"strings"
	"testing"

	"parley/threads"
)

func TestUserAddListShow(t *testing.T) {
	t.Parallel()
	e := redisEnv(t)
	out := ok(t, e, "user", "add", "--id", "bob", "--name", "Bob Ray", "--email", "Bob@Example.org",
		"--email", "bob.ray@example.org,bob@work.example", "--phone", "+15550001111", "--tz", "Europe/Berlin")
	for _, want := range []string{"id:         bob\n", "name:       Bob Ray\n",
		"emails:     bob@example.org, bob.ray@example.org, bob@work.example\n",
		"phone:      +15550001111 (verified)\n", "time zone:  Europe/Berlin\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("user add printed\n%s\nwant it to hold %q", out, want)
		}
	}
	ok(t, e, "user", "add", "--id", "alice", "--name", "Alice")

	out = ok(t, e, "user", "list")
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "ID") || !strings.HasPrefix(lines[1], "alice") {
		t.Fatalf("user list printed\n%s", out)
	}
	if f := strings.Fields(lines[2]); strings.Join(f, " ") != "bob Bob Ray bob@example.org (+2) +15550001111 Europe/Berlin" {
		t.Errorf("user list row for bob: %q", lines[2])
	}

	var users []threads.User
	if err := json.Unmarshal([]byte(ok(t, e, "user", "list", "--json")), &users); err != nil {
		t.Fatalf("user list --json: %v", err)
	}
	if len(users) != 2 || users[0].ID != "alice" || users[1].ID != "bob" {
		t.Fatalf("user list --json gave %+v", users)
	}

	var bob threads.User
	if err := json.Unmarshal([]byte(ok(t, e, "user", "show", "bob", "--json")), &bob); err != nil {
		t.Fatalf("user show --json: %v", err)
	}
	if !bob.PhoneVerified || bob.Phone != "+15550001111" || len(bob.Emails) != 3 || bob.Emails[0] != "bob@example.org" || bob.TimeZone != "Europe/Berlin" {
		t.Errorf("user show --json gave %+v", bob)
	}

	out = ok(t, e, "user", "show", "bob")
	if !strings.Contains(out, "rooms:      -\n") || !strings.HasPrefix(out, "id:         bob\n") {
		t.Errorf("user show printed\n%s", out)
	}
}

func TestEmptyListsAreJSONArrays(t *testing.T) {
	t.Parallel()
	e := redisEnv(t)
	for _, args := range [][]string{
		{"user", "list", "--json"},
		{"room", "list", "--json"},
		{"queue", "dead", "--json"},
	} {
		if out := ok(t, e, args...); out != "[]\n" {
			t.Errorf("parley %s printed %q, want []", strings.Join(args, " "), out)
		}
	}
}

// TestUserPreferences: user show prints the preferences; a preference
// that routing would not honour is refused with its reason.
func TestUserPreferences(t *testing.T) {
	t.Parallel()
	e := redisEnv(t)
	ok(t, e, "user", "add", "--id", "dan", "--name", "Dan", "--email", "dan@example.org")
	cases := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--channel", "away=sms"}, 2, "away=sms needs a verified phone; dan has none"},
		{[]string{"--channel", "online=email"}, 2, "an online member reads lines live"},
		{[]string{"--channel", "offline=digest", "--quiet", "22:00-07:00", "--digest-hour", "7"}, 0, ""},
	}
	for _, c := range cases {
		r := parley(t, e, append([]string{"user", "set", "dan"}, c.args...)...)
		if r.code != c.code || !strings.Contains(r.err, c.want) {
			t.Errorf("user set %v: exit %d, %q; want %d with %q", c.args, r.code, r.err, c.code, c.want)
		}
	}
	out := ok(t, e, "user", "show", "dan")
	for _, want := range []string{"channels:   offline=digest; the rest default", "digest:     daily at 07:00", "quiet:      22:00-07:00 (hold-sms)", "autoreply:  on"} {
		if !strings.Contains(out, want) {
			t.Errorf("user show lacks %q:\n%s", want, out)
		}
	}
}
