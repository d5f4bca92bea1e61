// Package smtppeer holds both ends of SMTP for tests: an in-process SMTP
// server (go-smtp) on a loopback port that records what it receives and
// misbehaves on demand, the peer of parley's SMTP client (Start): down
// (Stop, Restart), refusing with 4xx or 5xx (Refuse), stalling on chosen
// recipients (Stall) or dropping the connection after DATA (DropAfterData);
// and swaks,
// a real SMTP client, to submit to parley's SMTP server or to a Postfix
// (Swaks).
package smtppeer

import (
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// Message is one accepted message.
type Message struct {
	From string
	To   []string
	Data []byte
	// At is when the server took it.
	At time.Time
}

// Server is a recording SMTP server.
type Server struct {
	// Addr is host:port to dial.
	Addr string

	mu      sync.Mutex
	msgs    []Message
	refuse  func(stage, rcpt string) error
	stalled map[string]bool // recipients whose RCPT is never answered
	unstall chan struct{}   // closed to answer the stalled RCPTs
	drop    bool            // close the connection instead of answering DATA
	holding int             // RCPTs being stalled now
	hold    chan struct{}   // non-nil: DATA's answer waits until it is closed
	held    int             // DATA answers being held now
	srv     *smtp.Server
	l       net.Listener
}

// Start runs a server until t ends.
func Start(t testing.TB) *Server {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{Addr: l.Addr().String(), stalled: map[string]bool{}, unstall: make(chan struct{})}
	s.serve(l)
	t.Cleanup(s.Stop)
	return s
}

func (s *Server) serve(l net.Listener) {
	srv := smtp.NewServer(s)
	srv.Domain = "sink.test"
	srv.AllowInsecureAuth = true
	srv.ReadTimeout = 10 * time.Second
	srv.WriteTimeout = 10 * time.Second
	s.mu.Lock()
	s.srv, s.l = srv, l
	s.mu.Unlock()
	go func() { _ = srv.Serve(l) }()
}

// Stop closes the listener and every connection: the smarthost is down.
// Stalled commands end.
func (s *Server) Stop() {
	s.Stall()
	s.HoldAfterData(false)
	s.mu.Lock()
	srv, l := s.srv, s.l
	s.srv, s.l = nil, nil
	s.mu.Unlock()
	if l != nil {
		_ = l.Close() // Serve may not have taken it yet
	}
	if srv != nil {
		_ = srv.Close()
	}
}

// Restart listens again on the same address after Stop.
func (s *Server) Restart(t testing.TB) {
	t.Helper()
	l, err := net.Listen("tcp", s.Addr)
	if err != nil {
		t.Fatalf("restart smtp test server on %s: %v", s.Addr, err)
	}
	s.serve(l)
}

// Refuse makes the server answer with the error f returns for a stage
// ("mail", "rcpt", "data"); nil accepts. Pass nil to accept everything.
func (s *Server) Refuse(f func(stage string) error) {
	if f == nil {
		s.RefuseTo(nil)
		return
	}
	s.RefuseTo(func(stage, _ string) error { return f(stage) })
}

// RefuseTo is Refuse that also sees the recipient at the "rcpt" stage
// (rcpt is empty at the others), for a test whose other mail (digests,
// say) must not take the refusal.
func (s *Server) RefuseTo(f func(stage, rcpt string) error) {
	s.mu.Lock()
	s.refuse = f
	s.mu.Unlock()
}

// Stall makes the server never answer RCPT TO for the given recipients
// (until the next Stall or Stop), as a smarthost stuck on one mailbox does;
// the client's timeout is what ends the wait. Stall() with no recipient
// lets the stalled commands go on, refused with a 451.
func (s *Server) Stall(rcpts ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	close(s.unstall)
	s.unstall = make(chan struct{})
	s.stalled = map[string]bool{}
	for _, r := range rcpts {
		s.stalled[r] = true
	}
}

// Stalled returns how many RCPT commands the server is stalling now.
func (s *Server) Stalled() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.holding
}

// DropAfterData makes the server read a message's data and then close the
// connection without a reply (on), as if its 250 was lost: the client
// cannot know whether the message was accepted. It is kept, as a server
// that committed it before the line dropped would.
func (s *Server) DropAfterData(on bool) {
	s.mu.Lock()
	s.drop = on
	s.mu.Unlock()
}

// HoldAfterData makes the server take each message (Messages has it) and
// then hold its answer to DATA until HoldAfterData(false) or Stop (on):
// the window in which a sender that dies cannot know the message went
// out. Held answers are given as 250 when released.
func (s *Server) HoldAfterData(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case on && s.hold == nil:
		s.hold = make(chan struct{})
	case !on && s.hold != nil:
		close(s.hold)
		s.hold = nil
	}
}

// Held returns how many answers to DATA the server is holding now.
func (s *Server) Held() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.held
}

// Messages returns what was accepted so far.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.msgs...)
}

// Temporary is a 451 refusal, Permanent a 550 one.
var (
	Temporary = &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try again later"}
	Permanent = &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user"}
)

func (s *Server) check(stage, rcpt string) error {
	s.mu.Lock()
	f := s.refuse
	s.mu.Unlock()
	if f == nil {
		return nil
	}
	return f(stage, rcpt)
}

// NewSession implements smtp.Backend.
func (s *Server) NewSession(c *smtp.Conn) (smtp.Session, error) { return &session{s: s, c: c}, nil }

type session struct {
	s    *Server
	c    *smtp.Conn
	from string
	to   []string
}

var _ smtp.Session = (*session)(nil)

func (ss *session) Mail(from string, _ *smtp.MailOptions) error {
	ss.from = from
	return ss.s.check("mail", "")
}

func (ss *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	ss.s.mu.Lock()
	stalled, unstall := ss.s.stalled[to], ss.s.unstall
	ss.s.mu.Unlock()
	if stalled {
		ss.s.mu.Lock()
		ss.s.holding++
		ss.s.mu.Unlock()
		<-unstall
		ss.s.mu.Lock()
		ss.s.holding--
		ss.s.mu.Unlock()
		return Temporary
	}
	if err := ss.s.check("rcpt", to); err != nil {
		return err
	}
	ss.to = append(ss.to, to)
	return nil
}

func (ss *session) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if err := ss.s.check("data", ""); err != nil {
		return err
	}
	ss.s.mu.Lock()
	ss.s.msgs = append(ss.s.msgs, Message{From: ss.from, To: ss.to, Data: data, At: time.Now()})
	drop, hold := ss.s.drop, ss.s.hold
	if hold != nil {
		ss.s.held++
	}
	ss.s.mu.Unlock()
	if hold != nil {
		<-hold
		ss.s.mu.Lock()
		ss.s.held--
		ss.s.mu.Unlock()
	}
	if drop {
		_ = ss.c.Close()
	}
	return nil
}

func (ss *session) Reset()        { ss.from, ss.to = "", nil }
func (ss *session) Logout() error { return nil }
