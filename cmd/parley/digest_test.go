package main

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestDigestCommands(t *testing.T) {
	e := redisEnv(t).with("PARLEY_SECRET", strings.Repeat("s", 32), "PARLEY_DOMAIN", "chat.example.org")
	seed(t, e)
	ok(t, e, "user", "add", "--id", "kai", "--name", "Kai", "--email", "kai@example.org", "--tz", "Pacific/Honolulu")
	ok(t, e, "presence", "set", "bob", "busy")
	ok(t, e, "post", "--room", "design", "--as", "alice", "Held for bob's digest")

	out := ok(t, e, "digest", "send", "--user", "bob", "--now")
	if !strings.Contains(out, "digest sent to bob via the outbox (parley outbox): 1 line in 1 room") {
		t.Fatalf("digest send printed %q", out)
	}
	list := ok(t, e, "outbox", "list")
	if !strings.Contains(list, "bob@example.org") || !strings.Contains(list, "[parley] 1 new line in Design") {
		t.Fatalf("outbox:\n%s", list)
	}
	// Nothing new since: never an empty digest.
	if out := ok(t, e, "digest", "send", "--user", "bob", "--now"); !strings.Contains(out, "no digest for bob") {
		t.Fatalf("second send printed %q", out)
	}

	var rows []digestDue
	if err := json.Unmarshal([]byte(ok(t, e, "digest", "due", "--json")), &rows); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, r := range rows {
		if r.Member == "kai" {
			found = true
			if r.Frequency != "daily" || r.Due.IsZero() || !strings.Contains(r.Local, "00:00 HST") {
				t.Errorf("kai: %+v", r)
			}
		}
	}
	if !found || len(rows) != 4 {
		t.Fatalf("rows %+v", rows)
	}
	if out := ok(t, e, "digest", "due"); !strings.HasPrefix(out, "MEMBER") || !strings.Contains(out, "kai") {
		t.Errorf("digest due printed %q", out)
	}

	for _, tc := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"digest", "send", "--user", "bob"}, 2, "missing --now"},
		{[]string{"digest", "send", "--now"}, 2, "missing --user"},
		{[]string{"digest", "send", "--user", "nobody", "--now"}, 1, "not found"},
	} {
		r := parley(t, e, tc.args...)
		if r.code != tc.code || !strings.Contains(r.err, tc.msg) {
			t.Errorf("%v: exit %d, %q", tc.args, r.code, r.err)
		}
	}
	noSecret := redisEnv(t)
	if r := parley(t, noSecret, "digest", "send", "--user", "bob", "--now"); r.code != 2 || !strings.Contains(r.err, "PARLEY_SECRET") {
		t.Errorf("without a secret: exit %d, %q", r.code, r.err)
	}
}
