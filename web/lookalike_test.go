package web

import (
	"net/http"
	"strings"
	"testing"
)

// TestLookalikeNamesRefused: neither a member renaming themself nor an
// admin creating a user may take a name that looks like another member's
// (issue 20).
func TestLookalikeNamesRefused(t *testing.T) {
	e := newWebEnv(t, nil)
	st, body := e.do("carol", "PUT", "/api/me", map[string]any{"name": "B0b"})
	if st != http.StatusConflict || !strings.Contains(body, "too like the name of Bob") {
		t.Errorf("carol renames herself B0b: %d %s", st, body)
	}
	st, body = e.do("dave", "POST", "/api/admin/users", map[string]any{"id": "mallory", "name": "Аlice", "emails": []string{"m@example.org"}})
	if st != http.StatusConflict {
		t.Errorf("a user named with a Cyrillic А like Alice: %d %s", st, body)
	}
	if st, body = e.do("carol", "PUT", "/api/me", map[string]any{"name": "Carol Chen"}); st != http.StatusOK {
		t.Errorf("an unlike name: %d %s", st, body)
	}
	if st, body = e.do("carol", "PUT", "/api/me", map[string]any{"tz": "Europe/Paris"}); st != http.StatusOK {
		t.Errorf("a change that leaves the name: %d %s", st, body)
	}
}

// TestUnreachableShown: a member whose address bounces and who has no
// working phone is shown to senders as unreachable (issue 20).
func TestUnreachableShown(t *testing.T) {
	e := newWebEnv(t, nil)
	if _, err := e.store.Directory.MarkEmailFailing(e.ctx, "bob", "bob@example.org"); err != nil {
		t.Fatal(err)
	}
	_, page := e.browser("alice").fetch(t, "GET", e.srv.URL+"/rooms/design", nil)
	if seen := text(page); !strings.Contains(seen, "Bob: offline — no channel reaches Bob") {
		t.Errorf("the members list does not say bob is unreachable:\n%s", seen)
	}
	st, body := e.do("alice", "GET", "/api/rooms/design", nil)
	if st != http.StatusOK || !strings.Contains(body, `"unreachable":true`) {
		t.Errorf("GET /api/rooms/design: %d %s", st, body)
	}
}
