package threads

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/redis/go-redis/v9"
)

// Limits of the audit log.
const (
	// AuditMax is about how many entries the audit log keeps; the oldest go first.
	AuditMax = 100_000
	// maxAuditText caps the actor and target; maxAuditDetail the detail.
	maxAuditText   = 200
	maxAuditDetail = 2000
)

// AuditEntry is one admin action or sign-in, as the audit log keeps it.
type AuditEntry struct {
	// ID is the entry's stream id; it orders the log. Set by Audit.
	ID string `json:"id,omitempty"`
	// Actor is who acted: a user id, or "cli" for the command line.
	Actor string `json:"actor"`
	// Action is what was done, a dotted word like "user.disable" or "signin".
	Action string `json:"action"`
	// Target is what it was done to: a user or room id, a setting.
	Target string `json:"target,omitempty"`
	// Detail says more, in a few words ("member -> admin").
	Detail string `json:"detail,omitempty"`
	// Time is when it was recorded. Set by Audit.
	Time time.Time `json:"time"`
}

var auditAction = regexp.MustCompile(`^[a-z][a-z0-9_.-]{0,63}$`)

// Audit appends an entry to the audit log. Actor and Action are required;
// a detail longer than the limit is cut.
func (s *Directory) Audit(ctx context.Context, e AuditEntry) error {
	e.Actor = strings.TrimSpace(e.Actor)
	switch {
	case e.Actor == "":
		return invalid("audit entry without an actor")
	case !auditAction.MatchString(e.Action):
		return invalid("audit action %q must be a dotted word like user.disable", e.Action)
	}
	for _, v := range []*string{&e.Actor, &e.Target} {
		if !utf8.ValidString(*v) || len(*v) > maxAuditText {
			*v = cutUTF8(strings.ToValidUTF8(*v, "\uFFFD"), maxAuditText)
		}
	}
	e.Detail = cutUTF8(strings.ToValidUTF8(e.Detail, "\uFFFD"), maxAuditDetail)
	err := s.rdb.XAdd(ctx, &redis.XAddArgs{Stream: s.k.audit(), MaxLen: AuditMax, Approx: true,
		Values: []any{"a", e.Actor, "do", e.Action, "t", e.Target, "d", e.Detail, "ts", s.now().UnixMilli()}}).Err()
	if err != nil {
		return fmt.Errorf("audit %s by %s: %w", e.Action, e.Actor, err)
	}
	return nil
}

// auditDone records an action that has been carried out. When the entry
// cannot be written the action stays done and the error says so, so that
// the caller can tell the admin.
func (s *Directory) auditDone(ctx context.Context, e AuditEntry) error {
	if err := s.dir.Audit(ctx, e); err != nil {
		return fmt.Errorf("%s of %s done, but not audited: %w", e.Action, e.Target, err)
	}
	return nil
}

// AuditFilter selects audit entries. Empty fields match anything.
type AuditFilter struct {
	Actor  string
	Action string // exact, or a prefix ending in "." ("user.")
	Target string
	// Before is an entry id: only older entries (paging backwards).
	Before string
	// Limit caps the count (50 when 0, at most MaxPage).
	Limit int
}

func (f AuditFilter) match(e AuditEntry) bool {
	if f.Actor != "" && e.Actor != f.Actor || f.Target != "" && e.Target != f.Target {
		return false
	}
	if f.Action == "" || e.Action == f.Action {
		return true
	}
	return strings.HasSuffix(f.Action, ".") && strings.HasPrefix(e.Action, f.Action)
}

// auditPage is how many entries AuditLog reads per round trip.
const auditPage = 500

// AuditLog returns the entries matching f, newest first.
func (s *Directory) AuditLog(ctx context.Context, f AuditFilter) ([]AuditEntry, error) {
	if f.Limit <= 0 {
		f.Limit = 50
	}
	f.Limit = min(f.Limit, MaxPage)
	hi := "+"
	if f.Before != "" {
		if !streamID.MatchString(f.Before) {
			return nil, invalid("audit entry id %q is not like 1732500000000-0", f.Before)
		}
		hi = "(" + f.Before
	}
	out := []AuditEntry{}
	for scanned := 0; scanned < AuditMax*2; scanned += auditPage {
		msgs, err := s.rdb.XRevRangeN(ctx, s.k.audit(), hi, "-", auditPage).Result()
		if err != nil {
			return nil, fmt.Errorf("read audit log: %w", err)
		}
		for _, m := range msgs {
			if e := decodeAudit(m); f.match(e) {
				out = append(out, e)
				if len(out) == f.Limit {
					return out, nil
				}
			}
		}
		if len(msgs) < auditPage {
			break
		}
		hi = "(" + msgs[len(msgs)-1].ID
	}
	return out, nil
}

func decodeAudit(m redis.XMessage) AuditEntry {
	get := func(k string) string { v, _ := m.Values[k].(string); return v }
	ms, _ := strconv.ParseInt(get("ts"), 10, 64)
	return AuditEntry{ID: m.ID, Actor: get("a"), Action: get("do"), Target: get("t"), Detail: get("d"),
		Time: time.UnixMilli(ms).UTC()}
}
