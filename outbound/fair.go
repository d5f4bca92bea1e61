package outbound

import (
	"context"
	"errors"
	"net"
	"strings"
	"sync"
	"time"
)

// fairness keeps one slow recipient from delaying the others: a member has
// at most one batch in flight, an email domain at most perDomain, and a
// member whose sends time out is left alone for a backoff that grows with
// each timeout in a row (the batch itself is retried with the queue's
// backoff too, but the member's other rooms would otherwise each stall a
// sender in turn).
type fairness struct {
	perDomain int
	backoff   func(attempt int) time.Duration
	now       func() time.Time

	mu       sync.Mutex
	busy     map[string]bool      // members with a batch leased or in flight
	domainOf map[string]string    // member -> email domain, as last sent
	domains  map[string]int       // domain -> sends in flight
	counted  map[string]bool      // members whose send in flight counts in domains (under domainOf)
	paused   map[string]pausation // member -> backoff after timeouts
	// freed is signalled when a member is let go: its next batch may be
	// leased now, without waiting for the next poll.
	freed chan struct{}
}

type pausation struct {
	until    time.Time
	timeouts int
}

func newFairness(perDomain int, backoff func(int) time.Duration) *fairness {
	return &fairness{perDomain: perDomain, backoff: backoff, now: time.Now,
		freed: make(chan struct{}, 1), busy: map[string]bool{}, domainOf: map[string]string{}, domains: map[string]int{}, counted: map[string]bool{},
		paused: map[string]pausation{}}
}

// skip reports whether member's batches must wait: the member is being
// sent to, is backing off, or its domain has all the senders it may have.
func (f *fairness) skip(member string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.busy[member] || f.now().Before(f.paused[member].until) {
		return true
	}
	d := f.domainOf[member]
	return d != "" && f.domains[d] >= f.perDomain
}

// take marks member as leased.
func (f *fairness) take(member string) {
	f.mu.Lock()
	f.busy[member] = true
	f.mu.Unlock()
}

// begin counts a send to member at domain ("" for none).
func (f *fairness) begin(member, domain string) {
	if domain == "" {
		return
	}
	f.mu.Lock()
	f.domainOf[member] = domain
	f.domains[domain]++
	f.counted[member] = true
	f.mu.Unlock()
}

// done frees member (and its send's share of its domain, unless sent did)
// after a send that ended with err; a timeout pauses the member.
func (f *fairness) done(member string, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.busy, member)
	f.signal()
	f.uncount(member)
	switch {
	case isTimeout(err):
		p := f.paused[member]
		p.timeouts++
		p.until = f.now().Add(f.backoff(p.timeouts))
		f.paused[member] = p
	case err == nil:
		delete(f.paused, member)
	}
}

// sent frees the share of its domain that begin counted for member's send,
// once the send itself has ended: the share bounds the sends a slow domain
// can hold up, and settling the batch afterwards holds up nothing of the
// domain's. The member stays busy until done.
func (f *fairness) sent(member string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.uncount(member) {
		f.signal()
	}
}

// uncount frees member's counted share, if it holds one.
func (f *fairness) uncount(member string) bool {
	if !f.counted[member] {
		return false
	}
	delete(f.counted, member)
	// domainOf is the domain begin counted: it changes only in begin, and
	// a member has one send at a time.
	domain := f.domainOf[member]
	if f.domains[domain]--; f.domains[domain] <= 0 {
		delete(f.domains, domain)
	}
	return true
}

// release frees a member whose leased batch was never begun.
func (f *fairness) release(member string) {
	f.mu.Lock()
	delete(f.busy, member)
	f.signal()
	f.mu.Unlock()
}

func (f *fairness) signal() {
	select {
	case f.freed <- struct{}{}:
	default:
	}
}

// isTimeout reports whether err says that the other side did not answer in
// time (a stalled connection), as opposed to a refusal.
func isTimeout(err error) bool {
	if err == nil {
		return false
	}
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout())
}

// emailDomain is the lower-cased domain of addr, "" when it has none.
func emailDomain(addr string) string {
	_, d, ok := strings.Cut(addr, "@")
	if !ok {
		return ""
	}
	return strings.ToLower(d)
}
