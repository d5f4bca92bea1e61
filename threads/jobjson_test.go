package threads

import (
	"encoding/json"
	"testing"
	"time"
)

// TestJobJSON: the hand-written encoding is byte for byte json.Marshal's,
// for plain jobs and for every case it hands to encoding/json.
func TestJobJSON(t *testing.T) {
	at := time.Date(2026, 12, 7, 8, 45, 7, 123_000_000, time.UTC)
	berlin := time.FixedZone("CET", 3600)
	plain := Job{Room: "design", Line: "1764057600000-0", Member: "bob", Channel: Email, Queued: at}
	for _, tc := range []struct {
		name string
		job  func(Job) Job
	}{
		{"plain", func(j Job) Job { return j }},
		{"sms, meeting", func(j Job) Job { j.Channel, j.Now = SMS, true; return j }},
		{"retried", func(j Job) Job { j.Attempt, j.LastError = 3, "451 4.7.1 try later"; return j }},
		{"error to escape", func(j Job) Job {
			j.Attempt, j.LastError = 1, "550 <bob@example.org> \"no\" \\ & \n é \u2028"
			return j
		}},
		{"zero time", func(j Job) Job { j.Queued = time.Time{}; return j }},
		{"nanoseconds, a zone", func(j Job) Job { j.Queued = at.Add(456).In(berlin); return j }},
		{"whole second", func(j Job) Job { j.Queued = at.Truncate(time.Second); return j }},
		{"year past 9999", func(j Job) Job { j.Queued = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC); return j }},
		{"odd member id", func(j Job) Job { j.Member = "o'brien<x>"; return j }},
		{"empty", func(Job) Job { return Job{} }},
	} {
		j := tc.job(plain)
		want, _ := json.Marshal(j)
		if got := jobJSON(j); string(got) != string(want) {
			t.Errorf("%s: jobJSON = %s, json.Marshal = %s", tc.name, got, want)
		}
	}
}

func BenchmarkJobJSON(b *testing.B) {
	j := Job{Room: "design", Line: "1764057600000-0", Member: "bob", Channel: Email, Queued: time.Now().UTC()}
	for b.Loop() {
		jobJSON(j)
	}
}
