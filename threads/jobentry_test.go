package threads

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"
	"time"
)

// TestGroupJSON: the hand-written encoding of a queue entry is byte for
// byte json.Marshal's, and decodeEntry gives back the jobs it was made of.
func TestGroupJSON(t *testing.T) {
	at := time.Date(2026, 12, 7, 8, 45, 7, 123_000_000, time.UTC)
	bob := Job{Room: "design", Line: "1764057600000-0", Member: "bob", Channel: Email, Queued: at}
	carol := bob
	carol.Member, carol.Channel = "carol", SMS
	for _, tc := range []struct {
		name string
		jobs func(a, b Job) []Job
	}{
		{"one", func(a, _ Job) []Job { return []Job{a} }},
		{"two channels", func(a, b Job) []Job { return []Job{a, b} }},
		{"meeting", func(a, b Job) []Job { a.Now, b.Now = true, true; return []Job{a, b} }},
		{"nanoseconds, a zone", func(a, b Job) []Job {
			q := at.Add(456).In(time.FixedZone("CET", 3600))
			a.Queued, b.Queued = q, q
			return []Job{a, b}
		}},
		{"odd member id", func(a, b Job) []Job { b.Member = `o"brien<x>é`; return []Job{a, b} }},
		{"odd room", func(a, b Job) []Job { a.Room, b.Room = "r&d", "r&d"; return []Job{a, b} }},
		{"year past 9999", func(a, _ Job) []Job { a.Queued = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC); return []Job{a} }},
	} {
		jobs := tc.jobs(bob, carol)
		g := jobGroup{Room: jobs[0].Room, Line: jobs[0].Line, Queued: jobs[0].Queued, Now: jobs[0].Now}
		for _, j := range jobs {
			g.To = append(g.To, [2]string{j.Member, string(j.Channel)})
		}
		want, _ := json.Marshal(g)
		got := groupJSON(g)
		if string(got) != string(want) {
			t.Errorf("%s: groupJSON = %s, json.Marshal = %s", tc.name, got, want)
		}
		if len(want) == 0 {
			continue // encoding/json refuses the time (fan-out's clock never gives one)
		}
		back, data, err := decodeEntry(map[string]any{"g": string(got)})
		if err != nil || data != string(got) {
			t.Errorf("%s: decodeEntry = %v, %q", tc.name, err, data)
			continue
		}
		for i := range back {
			if !back[i].Queued.Equal(jobs[i].Queued) {
				t.Errorf("%s: job %d queued %s, want %s", tc.name, i, back[i].Queued, jobs[i].Queued)
			}
			back[i].Queued = jobs[i].Queued
		}
		if !reflect.DeepEqual(back, jobs) {
			t.Errorf("%s: decoded %+v, want %+v", tc.name, back, jobs)
		}
	}
}

// TestDecodeEntry: an entry of an earlier parley (one job in "j") reads
// as one job; an entry that is neither says why.
func TestDecodeEntry(t *testing.T) {
	old := Job{Room: "design", Line: "1764057600000-0", Member: "bob", Channel: Email, Queued: time.Date(2026, 12, 7, 8, 0, 0, 0, time.UTC)}
	jobs, _, err := decodeEntry(map[string]any{"j": string(jobJSON(old))})
	if err != nil || len(jobs) != 1 || jobs[0] != old {
		t.Errorf("old entry = %+v, %v", jobs, err)
	}
	for name, values := range map[string]map[string]any{
		"no field":    {"x": "1"},
		"bad group":   {"g": "{"},
		"no member":   {"g": `{"room":"design","line":"1-0","queued":"2026-12-07T08:00:00Z","to":[]}`},
		"bad old job": {"j": "[]"},
	} {
		if jobs, _, err := decodeEntry(values); err == nil {
			t.Errorf("%s: decoded %+v, want an error", name, jobs)
		}
	}
	if _, _, err := decodeEntry(map[string]any{}); !errors.Is(err, errNoJobs) {
		t.Errorf("empty entry: %v", err)
	}
}

func BenchmarkGroupJSON(b *testing.B) {
	g := jobGroup{Room: "design", Line: "1764057600000-0", Queued: time.Now().UTC()}
	for i := range 6 {
		g.To = append(g.To, [2]string{"member" + string(rune('a'+i)), string(Email)})
	}
	for b.Loop() {
		groupJSON(g)
	}
}
