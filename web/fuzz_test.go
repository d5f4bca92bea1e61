package web

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"parley/threads"
)

// FuzzJSONBodies feeds any bytes to the JSON decoding of every body the
// API reads: an error or a value, never a panic.
func FuzzJSONBodies(f *testing.F) {
	for _, s := range []string{`{"text":"hi"}`, `{"availability":"away","until":"2h"}`, `{"profile":{"interests":["go"]}}`,
		`{"user":"bob"}`, `{"name":"x","members":["a"]}`, `{`, `[]`, `null`, `{"text":"a"}{}`, "\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		for _, v := range []any{&lineBody{}, &statusBody{}, &meBody{}, &memberBody{}, &newRoom{}, &readBody{}, &tokenBody{}} {
			r := httptest.NewRequest("POST", "/api/x", strings.NewReader(body))
			r.Header.Set("Content-Type", "application/json")
			err := decodeJSON(httptest.NewRecorder(), r, v)
			if err != nil && classify(err).status >= 500 {
				t.Fatalf("%q: %v is a server error", body, err)
			}
		}
		var mb meBody
		r := httptest.NewRequest("POST", "/api/me", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		if decodeJSON(httptest.NewRecorder(), r, &mb) == nil {
			u := threads.User{ID: "x", Name: "X"}
			if err := mb.apply(&u); err != nil && classify(err).status != http.StatusBadRequest {
				t.Fatalf("%q: apply: %v is not a 400", body, err)
			}
		}
	})
}

// FuzzStatusUntil parses the until of a status: a time, a duration, or a 400.
func FuzzStatusUntil(f *testing.F) {
	for _, s := range []string{"", "2h", "90m", "2026-11-25T17:00:00Z", "-1h", "1e9h", "soon"} {
		f.Add(s)
	}
	now := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, until string) {
		st, err := statusBody{Availability: "away", Until: until}.status(now)
		if err != nil {
			if he := classify(err); he.status != http.StatusBadRequest {
				t.Fatalf("%q: status %d", until, he.status)
			}
			return
		}
		if strings.TrimSpace(until) == "" && !st.Until.IsZero() {
			t.Fatalf("empty until gave %s", st.Until)
		}
	})
}

// FuzzBackTo never sends a browser off the site.
func FuzzBackTo(f *testing.F) {
	for _, s := range []string{"/rooms/design", "//evil.example", "https://evil.example/", `/\evil.example`, "/me?x=1", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, back string) {
		r := httptest.NewRequest("POST", "/me/status", strings.NewReader(url.Values{"back": {back}}.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		got := backTo(r, "/")
		u, err := url.Parse(got)
		if err != nil || !strings.HasPrefix(got, "/") || strings.HasPrefix(got, "//") || u.Host != "" || strings.Contains(got, `\`) {
			t.Fatalf("backTo(%q) = %q", back, got)
		}
	})
}

// FuzzQueries reads line ranges, Last-Event-IDs and Accept-Encoding
// headers of any shape.
func FuzzQueries(f *testing.F) {
	for _, s := range []string{"before=1-0&limit=5", "after=x", "limit=-1", "limit=99999999999999999999", "gzip;q=0, br", "0-0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		q, _ := url.ParseQuery(s)
		rg, err := lineRange(q)
		if err == nil && (rg.Limit < 1 || rg.Limit > 1000) {
			t.Fatalf("limit %d from %q", rg.Limit, s)
		}
		_ = acceptsGzip(s)
		if lineIDPattern.MatchString(s) {
			a, b := splitID(s)
			_, _ = a, b
			if idLess(s, s) {
				t.Fatalf("%q < itself", s)
			}
		}
	})
}

// FuzzPeopleQuery reads people searches and audit filters of any shape:
// a query or a 400, never a panic.
func FuzzPeopleQuery(f *testing.F) {
	for _, s := range []string{"interest=go&interest=a,b", "name=car&limit=5&offset=2", "field.office=berl", "limit=-1",
		"field.=x", "colour=red", "actor=dave&action=user.&limit=3", "limit=99999999999999999999", "before=1-0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		q, _ := url.ParseQuery(s)
		pq, err := peopleQuery(q)
		if err != nil && classify(err).status != http.StatusBadRequest {
			t.Fatalf("%q: %v is not a 400", s, err)
		}
		if err == nil && (pq.Limit < 0 || pq.Offset < 0) {
			t.Fatalf("%q: limit %d offset %d", s, pq.Limit, pq.Offset)
		}
		af, err := auditFilter(q)
		if err == nil && (af.Limit < 0 || af.Limit > threads.MaxPage) {
			t.Fatalf("%q: audit limit %d", s, af.Limit)
		}
		if _, err := transcriptTime("from", q.Get("from"), time.UTC, true); err != nil && classify(err).status != http.StatusBadRequest {
			t.Fatalf("%q: transcript time: %v", s, err)
		}
	})
}
