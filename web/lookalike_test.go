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
