package sms

import (
	"fmt"
	"net/http"
	"testing"

	"parley/internal/testpeers/twiliopeer"
	"parley/threads"
)

// callback is one status callback in a sequence.
type callback struct {
	status string
	code   int
}

func TestStatusCallbacks(t *testing.T) {
	unreachable := callback{"undelivered", 30003}
	delivered := callback{"delivered", 0}
	for _, c := range []struct {
		name    string
		seq     []callback
		failing bool
		optOut  bool
	}{
		{"delivered", []callback{{"queued", 0}, {"sent", 0}, delivered}, false, false},
		{"opted out (21610)", []callback{{"failed", 21610}}, false, true},
		{"invalid number (21211) at once", []callback{{"failed", 21211}}, true, false},
		{"not a mobile (21614) at once", []callback{{"undelivered", 21614}}, true, false},
		{"two unreachable", []callback{unreachable, {"undelivered", 30005}}, false, false},
		{"three unreachable", []callback{unreachable, {"undelivered", 30006}, {"undelivered", 30008}}, true, false},
		{"a delivery in between", []callback{unreachable, unreachable, delivered, unreachable, {"failed", 30007}}, false, false},
		{"other errors only recorded", []callback{{"undelivered", 30010}, {"failed", 30002}, {"failed", 30034}}, false, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := newHenv(t)
			var last twiliopeer.Message
			for i, cb := range c.seq {
				// Each callback is about another text to carol; the first
				// has no record (a callback that beat the record).
				m := twiliopeer.Message{SID: fmt.Sprintf("SM%032d", i), AccountSID: e.fake.AccountSID, To: carolPh, From: num1}
				if i > 0 {
					if err := e.store.SMS.RecordSMS(e.ctx, threads.SMSMessage{SID: m.SID, Member: "carol", Room: "design",
						Lines: []string{"1-0"}, To: carolPh, From: num1, Segments: 1}); err != nil {
						t.Fatal(err)
					}
				}
				if w := e.do(t, StatusPath, e.fake.StatusParams(m, cb.status, cb.code)); w.Code != http.StatusNoContent {
					t.Fatalf("callback %d answered %d %s", i, w.Code, w.Body)
				}
				last = m
			}
			rec, err := e.store.SMS.SMSMessageBySID(e.ctx, last.SID)
			if err != nil {
				t.Fatal(err)
			}
			final := c.seq[len(c.seq)-1]
			if rec.Status != final.status || rec.ErrorCode != final.code {
				t.Errorf("record %+v, want status %s error %d", rec, final.status, final.code)
			}
			u, _ := e.store.Directory.User(e.ctx, "carol")
			if u.PhoneFailing != c.failing || u.SMSOptOut != c.optOut {
				t.Errorf("carol: phone failing %v, opted out %v; want %v, %v", u.PhoneFailing, u.SMSOptOut, c.failing, c.optOut)
			}
		})
	}
}

func TestStatusCallbackRetriedCountsOnce(t *testing.T) {
	e := newHenv(t)
	m := twiliopeer.Message{SID: "SM00000000000000000000000000000001", AccountSID: e.fake.AccountSID, To: carolPh, From: num1}
	for i := 0; i < 4; i++ {
		if w := e.do(t, StatusPath, e.fake.StatusParams(m, "undelivered", 30003)); w.Code != http.StatusNoContent {
			t.Fatalf("answered %d", w.Code)
		}
	}
	if u, _ := e.store.Directory.User(e.ctx, "carol"); u.PhoneFailing {
		t.Fatal("one text's callback, retried, counted as several failures")
	}
}

func TestStatusCallbackRefusesGarbage(t *testing.T) {
	e := newHenv(t)
	m := twiliopeer.Message{SID: "SM1", To: carolPh}
	p := e.fake.StatusParams(m, "", 0)
	p.Del("MessageStatus")
	if w := e.do(t, StatusPath, p); w.Code != http.StatusBadRequest {
		t.Fatalf("callback without a status answered %d", w.Code)
	}
	p = e.fake.StatusParams(twiliopeer.Message{SID: "SM 1; DROP", To: carolPh}, "failed", 21211)
	if w := e.do(t, StatusPath, p); w.Code != http.StatusBadRequest {
		t.Fatalf("callback with a malformed SID answered %d", w.Code)
	}
	if u, _ := e.store.Directory.User(e.ctx, "carol"); u.PhoneFailing {
		t.Fatal("a malformed callback marked the phone")
	}
}
