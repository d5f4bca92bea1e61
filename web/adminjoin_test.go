package web

import (
	"net/http"
	"strings"
	"testing"

	"parley/threads"
)

// TestAdminJoinAudited: an admin who adds themselves (or anyone) to a room
// they do not own is audited and announced in the room; the owner's own
// changes are not (issue 20).
func TestAdminJoinAudited(t *testing.T) {
	e := newWebEnv(t, nil)
	if st, body := e.do("dave", "POST", "/api/rooms/other/members", map[string]string{"user": "dave"}); st != http.StatusOK {
		t.Fatalf("admin joins: %d %s", st, body)
	}
	if st, body := e.do("dave", "POST", "/api/rooms/other/members", map[string]string{"user": "alice"}); st != http.StatusOK {
		t.Fatalf("admin adds alice: %d %s", st, body)
	}
	if st, body := e.do("dave", "DELETE", "/api/rooms/other/members/alice", nil); st != http.StatusNoContent {
		t.Fatalf("admin removes alice: %d %s", st, body)
	}
	// The owner's change: neither audited nor announced.
	if st, body := e.do("bob", "POST", "/api/rooms/other/members", map[string]string{"user": "alice"}); st != http.StatusOK {
		t.Fatalf("owner adds alice: %d %s", st, body)
	}
	log, err := e.store.Directory.AuditLog(e.ctx, threads.AuditFilter{Target: "other"})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, a := range log {
		got = append(got, a.Actor+" "+a.Action+" "+strings.Fields(a.Detail)[0])
	}
	if strings.Join(got, "|") != "dave room.remove_member alice|dave room.add_member alice|dave room.add_member dave" {
		t.Errorf("audit log %q", got)
	}
	lines, err := e.store.Chat.Lines(e.ctx, "other", threads.Range{})
	if err != nil {
		t.Fatal(err)
	}
	var texts []string
	for _, l := range lines {
		if l.Origin != threads.FromSystem {
			t.Errorf("line %q is not a system line", l.Text)
		}
		texts = append(texts, l.String())
	}
	if strings.Join(texts, "|") != "parley: Dave (admin) joined the room.|parley: Dave (admin) added Alice to the room." {
		t.Errorf("room lines %q", texts)
	}
}
