package main

import (
	"strconv"
	"strings"
	"testing"

	"parley/internal/testpeers"
)

// TestBadInput checks that every kind of bad input gives exactly one line
// on stderr, nothing on stdout, and the right exit code.
func TestBadInput(t *testing.T) {
	t.Parallel()
	e := redisEnv(t)
	seed(t, e)
	ok(t, e, "user", "add", "--id", "dave", "--name", "Dave")
	ok(t, e, "room", "create", "--id", "ac", "--name", "A and C", "--members", "alice,carol", "--direct")

	tests := []struct {
		name string
		env  env
		args []string
		code int
		// msg is the whole line when it starts with "parley: ", else a part of it.
		msg string
	}{
		{"unknown user", e, []string{"user", "show", "zed"}, 1, "parley: user zed: not found"},
		{"unknown room", e, []string{"room", "show", "nope"}, 1, "parley: room nope: not found"},
		{"lines of unknown room", e, []string{"lines", "--room", "nope"}, 1, "parley: room nope: not found"},
		{"tail of unknown room", e, []string{"tail", "nope"}, 1, "parley: room nope: not found"},
		{"post to unknown room", e, []string{"post", "--room", "nope", "--as", "alice", "hi"}, 1, "parley: room nope: not found"},
		{"post as unknown user", e, []string{"post", "--room", "design", "--as", "zed", "hi"}, 1, "parley: user zed: not found"},
		{"post as non-member", e, []string{"post", "--room", "design", "--as", "dave", "hi"}, 1, "not a member of the room"},
		{"rooms of unknown user", e, []string{"room", "list", "--user", "zed"}, 1, "parley: user zed: not found"},
		{"heartbeat of unknown user", e, []string{"presence", "heartbeat", "zed"}, 1, "parley: user zed: not found"},
		{"presence of unknown user", e, []string{"presence", "show", "zed"}, 1, "parley: user zed: not found"},
		{"duplicate user", e, []string{"user", "add", "--id", "bob", "--name", "Bob"}, 1, "already exists"},
		{"duplicate email", e, []string{"user", "add", "--id", "bob2", "--name", "Bob", "--email", "BOB@example.org"}, 1, "email bob@example.org belongs to another user"},
		{"duplicate room", e, []string{"room", "create", "--id", "design", "--name", "D", "--members", "alice,bob"}, 1, "already exists"},
		{"room with unknown member", e, []string{"room", "create", "--id", "r2", "--name", "R", "--members", "alice,zed"}, 1, "parley: user zed: not found"},
		{"add unknown member", e, []string{"room", "add-member", "design", "zed"}, 1, "parley: user zed: not found"},
		{"remove non-member", e, []string{"room", "remove-member", "design", "dave"}, 1, "not a member of the room"},
		{"rename unknown room", e, []string{"room", "rename", "nope", "X"}, 1, "parley: room nope: not found"},

		{"malformed phone", e, []string{"user", "add", "--id", "eve", "--name", "Eve", "--phone", "555-1234"}, 2, "not in E.164 form"},
		{"malformed email", e, []string{"user", "add", "--id", "eve", "--name", "Eve", "--email", "eve at home"}, 2, "is not a plain address"},
		{"malformed id", e, []string{"user", "add", "--id", "Eve!", "--name", "Eve"}, 2, "user id \"Eve!\" must be"},
		{"unknown time zone", e, []string{"user", "add", "--id", "eve", "--name", "Eve", "--tz", "Mars/Olympus"}, 2, "time zone \"Mars/Olympus\" is unknown"},
		{"missing flag", e, []string{"user", "add", "--name", "Eve"}, 2, "parley: user add: missing --id (usage: parley user add"},
		{"missing members", e, []string{"room", "create", "--id", "x", "--name", "X"}, 2, "missing --members"},
		{"missing text", e, []string{"post", "--room", "design", "--as", "alice"}, 2, "missing TEXT"},
		{"missing argument", e, []string{"room", "show"}, 2, "parley: room show: missing ROOM"},
		{"extra argument", e, []string{"user", "list", "extra"}, 2, "unexpected argument \"extra\""},
		{"unknown flag", e, []string{"user", "list", "--bogus"}, 2, "flag provided but not defined: -bogus"},
		{"flag without value", e, []string{"user", "add", "--id"}, 2, "flag needs an argument: -id"},
		{"unknown command", e, []string{"frobnicate"}, 2, "parley: unknown command \"frobnicate\" (see parley help)"},
		{"unknown subcommand", e, []string{"room", "paint", "design"}, 2, "unknown command \"room paint\""},
		{"group without subcommand", e, []string{"presence"}, 2, "presence needs a subcommand: set, show, heartbeat"},
		{"unknown availability", e, []string{"presence", "set", "bob", "sleeping"}, 2, "availability \"sleeping\" is not"},
		{"bad until", e, []string{"presence", "set", "bob", "away", "--until", "someday"}, 2, "--until: until \"someday\" is not a duration"},
		{"past until", e, []string{"presence", "set", "bob", "away", "--until", "2001-01-01T00:00:00Z"}, 2, "is not in the future"},
		{"bad limit", e, []string{"lines", "--room", "design", "--limit", "0"}, 2, "--limit 0 is not between 1 and 1000"},
		{"bad line id", e, []string{"lines", "--room", "design", "--after", "yesterday"}, 2, "line id \"yesterday\""},
		{"too few members", e, []string{"room", "create", "--id", "solo", "--name", "Solo", "--members", "alice"}, 2, "at least 2 different members"},
		{"direct room gets a third", e, []string{"room", "add-member", "ac", "bob"}, 2, "is a direct room"},
		{"room left with one member", e, []string{"room", "remove-member", "ac", "carol"}, 2, "fewer than 2 members"},
		{"empty room name", e, []string{"room", "rename", "design", "  "}, 2, "room name is empty"},

		{"no Redis", env{}, []string{"user", "list"}, 2, "parley: user needs a shared Redis: set PARLEY_REDIS_URL (`parley demo`"},
		{"bad Redis URL", env{"PARLEY_REDIS_URL": "http://x:secretpw@host"}, []string{"user", "list"}, 2, "PARLEY_REDIS_URL: http://x:***@host is not a Redis URL"},
		{"bad duration", e.with("PARLEY_IDLE_AFTER", "soon"), []string{"user", "list"}, 2, "parley: PARLEY_IDLE_AFTER: \"soon\" is not a positive duration"},
		{"missing config file", e, []string{"--config", "/nonexistent/parley.toml", "user", "list"}, 2, "config /nonexistent/parley.toml"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := parley(t, tc.env, tc.args...)
			if r.code != tc.code {
				t.Errorf("exit %d, want %d (stderr %q)", r.code, tc.code, r.err)
			}
			if r.out != "" {
				t.Errorf("stdout %q, want nothing", r.out)
			}
			if strings.Count(r.err, "\n") != 1 || !strings.HasSuffix(r.err, "\n") || !strings.HasPrefix(r.err, "parley: ") {
				t.Errorf("stderr %q is not one line starting with \"parley: \"", r.err)
			}
			line := strings.TrimSuffix(r.err, "\n")
			if strings.HasPrefix(tc.msg, "parley: ") && strings.Contains(tc.msg, ": not found") {
				if line != tc.msg {
					t.Errorf("stderr %q, want %q", line, tc.msg)
				}
			} else if !strings.Contains(line, tc.msg) {
				t.Errorf("stderr %q, want it to hold %q", line, tc.msg)
			}
			if strings.Contains(r.err, "secretpw") {
				t.Errorf("stderr shows the password: %q", r.err)
			}
		})
	}

	// Nothing was half-written by the failed commands.
	out := ok(t, e, "user", "list")
	for _, id := range []string{"eve", "bob2", "zed"} {
		if strings.Contains(out, "\n"+id+" ") {
			t.Errorf("user %s exists after a failed add:\n%s", id, out)
		}
	}
	if out := ok(t, e, "room", "list"); strings.Contains(out, "r2") || strings.Contains(out, "solo") {
		t.Errorf("a failed room create left a room:\n%s", out)
	}
	if out := ok(t, e, "room", "show", "ac"); !strings.Contains(out, "members:  alice, carol\n") {
		t.Errorf("direct room changed:\n%s", out)
	}
}

func TestUnreachableRedis(t *testing.T) {
	t.Parallel()
	port := strconv.Itoa(testpeers.FreePort(t)) // free a moment ago: nothing listens
	for _, tc := range []struct{ url, shown string }{
		{"redis://127.0.0.1:" + port, "redis://127.0.0.1:" + port},
		{"redis://admin:hunter2hunter2@127.0.0.1:" + port + "/3", "redis://admin:***@127.0.0.1:" + port + "/3"},
	} {
		r := parley(t, env{"PARLEY_REDIS_URL": tc.url}, "room", "list")
		if r.code != 1 || r.out != "" {
			t.Errorf("%s: exit %d, stdout %q; want exit 1 and nothing", tc.shown, r.code, r.out)
		}
		want := "parley: redis at " + tc.shown + ": "
		if strings.Count(r.err, "\n") != 1 || !strings.HasPrefix(r.err, want) {
			t.Errorf("stderr %q, want one line starting with %q", r.err, want)
		}
		if strings.Contains(r.err, "hunter2") {
			t.Errorf("stderr shows the password: %q", r.err)
		}
	}
}
