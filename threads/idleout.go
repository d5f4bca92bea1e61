package threads

import (
	"context"
	"fmt"
	"time"
)

// AnnounceTimeouts announces the presence of every member whose last
// activity crossed the idle or offline threshold in (since, now]: nobody
// reports going idle by time alone (a page closed by a crash, a phone that
// lost its signal), so without this the members lists would show them
// online until something else changed. It reads the activity of every
// member in one call, so run it every few tens of seconds, not per post;
// several processes doing it announce the same presence twice, which pages
// take as it is. It returns how many members it announced.
func (s *Chat) AnnounceTimeouts(ctx context.Context, since time.Time) (int, error) {
	seen, err := s.rdb.HGetAll(ctx, s.k.seen()).Result()
	if err != nil {
		return 0, fmt.Errorf("read activity: %w", err)
	}
	th, err := s.Thresholds(ctx)
	if err != nil {
		return 0, err
	}
	now := s.now()
	crossed := func(last time.Time, after time.Duration) bool {
		at := last.Add(after)
		return at.After(since) && !at.After(now)
	}
	n := 0
	for user, v := range seen {
		last, withdrawn := parseSeen(v)
		if last.IsZero() || (!crossed(last, th.IdleAfter) || withdrawn) && !crossed(last, th.OfflineAfter) {
			continue
		}
		p, err := s.Presence(ctx, user)
		if err != nil {
			continue // a user removed meanwhile
		}
		if p.State == StateOnline {
			continue // active again meanwhile
		}
		s.announcePresence(ctx, p)
		n++
	}
	return n, nil
}
