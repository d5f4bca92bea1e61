package imappoll

import (
	"context"
	"sync"
)

// StateStore remembers where the poller stopped in a mailbox, so that a
// restart neither folds a message in twice nor skips one. parley keeps it
// in Redis; MemoryState keeps it in memory.
//
// The mailbox key names the account and the mailbox, without the
// password: user@host:port/INBOX.
//
// UIDs are only meaningful with their UIDVALIDITY. When the server reports
// another UIDVALIDITY than the saved one (the mailbox was recreated or
// restored), the poller starts over from the mailbox's current state: it
// forgets the last UID and folds in every message that is still unseen.
// Messages it had folded in are \Seen (or gone), and parley folds a
// Message-ID only once, so starting over costs at most a few duplicates
// that are recognised; skipping, the other choice, could lose replies.
// A first run (nothing saved) does the same.
//
// A Load error keeps the poller away from the mailbox (it tries again with
// backoff); a Save error is logged, and the poller goes on with the state
// it holds.
type StateStore interface {
	// Load returns the saved UIDVALIDITY and last UID processed, or zeros
	// when nothing was saved for mailbox.
	Load(ctx context.Context, mailbox string) (uidValidity, lastUID uint32, err error)
	// Save records them after each message settled.
	Save(ctx context.Context, mailbox string, uidValidity, lastUID uint32) error
}

// MemoryState is a StateStore in memory, for tests and single runs. The
// zero value is ready to use.
type MemoryState struct {
	mu sync.Mutex
	m  map[string]savedState
}

type savedState struct{ uidValidity, lastUID uint32 }

var _ StateStore = (*MemoryState)(nil)

// Load returns what Save stored for mailbox, or zeros.
func (s *MemoryState) Load(_ context.Context, mailbox string) (uidValidity, lastUID uint32, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v := s.m[mailbox]
	return v.uidValidity, v.lastUID, nil
}

// Save stores the state of mailbox.
func (s *MemoryState) Save(_ context.Context, mailbox string, uidValidity, lastUID uint32) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = make(map[string]savedState)
	}
	s.m[mailbox] = savedState{uidValidity, lastUID}
	return nil
}

// mailboxState is the poller's working copy of the saved state.
type mailboxState struct {
	uidValidity uint32
	lastUID     uint32
}
