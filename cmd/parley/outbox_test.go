package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"parley/threads"
)

func TestOutboxCommands(t *testing.T) {
	e := redisEnv(t)
	st, _ := storeFor(t, e)
	ctx := context.Background()
	if out := ok(t, e, "outbox", "list", "--json"); strings.TrimSpace(out) != "[]" {
		t.Fatalf("empty outbox as JSON = %q", out)
	}
	email := "From: \"Alice (parley)\" <parley@localhost>\r\nSubject: [Design] chat in Design\r\n\r\nAlice (09:00): hi\r\n"
	id, err := st.Queue.AddToOutbox(ctx, threads.OutboxEntry{Channel: threads.Email, To: "bob@example.org", Subject: "[Design] chat in Design", Body: email})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Queue.AddToOutbox(ctx, threads.OutboxEntry{Channel: threads.SMS, To: "+15550002222", Body: "[Design] Alice: hi"}); err != nil {
		t.Fatal(err)
	}
	list := ok(t, e, "outbox", "list")
	for _, want := range []string{"CHANNEL", "email", "bob@example.org", "[Design] chat in Design", "sms", "+15550002222", "[Design] Alice: hi"} {
		if !strings.Contains(list, want) {
			t.Errorf("outbox list lacks %q:\n%s", want, list)
		}
	}
	if got := ok(t, e, "outbox", "show", id); got != strings.ReplaceAll(email, "\r\n", "\n") {
		t.Errorf("outbox show = %q", got)
	}
	var entries []threads.OutboxEntry
	if err := json.Unmarshal([]byte(ok(t, e, "outbox", "list", "--after", id, "--json")), &entries); err != nil || len(entries) != 1 || entries[0].Channel != threads.SMS {
		t.Errorf("outbox list --after --json = %+v, %v", entries, err)
	}
	for _, c := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"outbox", "show", "nope"}, 2, "is not like"},
		{[]string{"outbox", "show", "1-1"}, 1, "not found"},
		{[]string{"outbox", "show"}, 2, "missing ID"},
		{[]string{"outbox", "list", "--limit", "0"}, 2, "not a positive number"},
	} {
		r := parley(t, e, c.args...)
		if r.code != c.code || !strings.Contains(r.err, c.msg) || strings.Count(r.err, "\n") != 1 {
			t.Errorf("%v: exit %d, stderr %q; want %d and %q", c.args, r.code, r.err, c.code, c.msg)
		}
	}
}
