package smtpsend

import (
	"crypto/tls"
	"crypto/x509"
	"io"
	"log"
	"net"
	"parley/internal/testcert"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// testServer is an in-process go-smtp server on 127.0.0.1 that records what
// it receives, counts connections and can be told to fail.
type testServer struct {
	Addr string
	srv  *smtp.Server
	ln   *countingListener

	mu          sync.Mutex
	msgs        []received
	faults      map[string]*smtp.SMTPError // "mail", "rcpt", "data" or "rcpt:ADDR"
	users       map[string]string
	requireAuth bool
	dataDelay   time.Duration
	gates       map[string]chan struct{} // "mail" or "data": wait until closed
	started     chan string              // the stage that reached its gate
}

// received is one message as the server saw it.
type received struct {
	From string
	To   []string
	Data []byte
	Conn uint64 // countingListener's connection number
	TLS  bool
	User string
	Helo string
	// RequireTLS: MAIL carried REQUIRETLS.
	RequireTLS bool
}

// serverOptions configures startServer.
type serverOptions struct {
	Addr              string      // default 127.0.0.1:0
	TLS               *tls.Config // offer STARTTLS (or implicit TLS with Implicit)
	Implicit          bool
	AllowInsecureAuth bool
	RequireAuth       bool
	Users             map[string]string
	ReadTimeout       time.Duration
	SMTPUTF8          bool
	RequireTLS        bool // offer REQUIRETLS (RFC 8689)
}

func startServer(t testing.TB, so serverOptions) *testServer {
	t.Helper()
	if so.Addr == "" {
		so.Addr = "127.0.0.1:0"
	}
	l, err := net.Listen("tcp", so.Addr)
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	ts := &testServer{
		Addr:        l.Addr().String(),
		ln:          &countingListener{Listener: l},
		faults:      map[string]*smtp.SMTPError{},
		users:       so.Users,
		requireAuth: so.RequireAuth,
		gates:       map[string]chan struct{}{},
		started:     make(chan string, 64),
	}
	srv := smtp.NewServer(smtp.BackendFunc(ts.newSession))
	srv.Domain = "test.invalid"
	srv.AllowInsecureAuth = so.AllowInsecureAuth
	srv.ReadTimeout = so.ReadTimeout
	srv.EnableSMTPUTF8 = so.SMTPUTF8
	srv.EnableREQUIRETLS = so.RequireTLS
	srv.ErrorLog = log.New(io.Discard, "", 0)
	var ln net.Listener = ts.ln
	if so.TLS != nil {
		if so.Implicit {
			ln = tls.NewListener(ts.ln, so.TLS)
		} else {
			srv.TLSConfig = so.TLS
		}
	}
	ts.srv = srv
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(ln)
	}()
	t.Cleanup(func() {
		_ = srv.Close()
		// Serve may not have registered ln yet when the test is quick, and
		// then srv.Close does not close it: Serve would block in Accept.
		_ = ts.ln.Close()
		<-done
	})
	return ts
}

// Fault makes the server answer code/enhanced/text at stage ("mail", "rcpt",
// "data" after the final dot, or "rcpt:ADDR" for one recipient); a zero code
// clears it.
func (ts *testServer) Fault(stage string, code int, enhanced smtp.EnhancedCode, text string) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if code == 0 {
		delete(ts.faults, stage)
		return
	}
	ts.faults[stage] = &smtp.SMTPError{Code: code, EnhancedCode: enhanced, Message: text}
}

func (ts *testServer) fault(stage string) error {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if f := ts.faults[stage]; f != nil {
		return f
	}
	return nil
}

// Gate makes the server stop at stage ("mail", or "data" after the whole body
// was read) until the returned function is called. ts.started receives the
// stage each time a session reaches the gate.
func (ts *testServer) Gate(stage string) (open func()) {
	ch := make(chan struct{})
	ts.mu.Lock()
	ts.gates[stage] = ch
	ts.mu.Unlock()
	var once sync.Once
	return func() { once.Do(func() { close(ch) }) }
}

func (ts *testServer) wait(stage string) {
	ts.mu.Lock()
	ch := ts.gates[stage]
	ts.mu.Unlock()
	if ch != nil {
		ts.started <- stage
		<-ch
	}
}

// SetDataDelay makes every DATA take d before its reply.
func (ts *testServer) SetDataDelay(d time.Duration) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	ts.dataDelay = d
}

// Messages returns a copy of what was received so far.
func (ts *testServer) Messages() []received {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return append([]received(nil), ts.msgs...)
}

// Accepted is the number of TCP connections accepted so far.
func (ts *testServer) Accepted() int { return int(ts.ln.stats().accepted) }

// Open is the number of connections open now.
func (ts *testServer) Open() int { return int(ts.ln.stats().open) }

// MaxOpen is the most connections that were open at once.
func (ts *testServer) MaxOpen() int { return int(ts.ln.stats().maxOpen) }

// DropAll closes every open connection without a word, as a server that
// restarts or times out idle clients silently does.
func (ts *testServer) DropAll() { ts.ln.closeAll() }

// WaitOpen waits until Open() == n.
func (ts *testServer) WaitOpen(t testing.TB, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for ts.Open() != n {
		if time.Now().After(deadline) {
			t.Fatalf("server has %d open connections, want %d", ts.Open(), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func (ts *testServer) newSession(c *smtp.Conn) (smtp.Session, error) {
	nc := c.Conn()
	_, isTLS := c.TLSConnectionState()
	if tc, ok := nc.(*tls.Conn); ok {
		nc = tc.NetConn()
	}
	return &session{ts: ts, conn: nc.(*countedConn).id, tls: isTLS, helo: c.Hostname()}, nil
}

// session is one SMTP session of testServer.
type session struct {
	ts   *testServer
	conn uint64
	tls  bool
	helo string
	user string
	from string
	to   []string
	// requireTLS: the MAIL command carried REQUIRETLS.
	requireTLS bool
}

var (
	_ smtp.Session     = (*session)(nil)
	_ smtp.AuthSession = (*session)(nil)
)

func (s *session) AuthMechanisms() []string { return []string{sasl.Plain} }

func (s *session) Auth(mech string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(identity, username, password string) error {
		s.ts.mu.Lock()
		want, ok := s.ts.users[username]
		s.ts.mu.Unlock()
		if !ok || want != password || (identity != "" && identity != username) {
			return smtp.ErrAuthFailed
		}
		s.user = username
		return nil
	}), nil
}

func (s *session) Mail(from string, opts *smtp.MailOptions) error {
	if s.ts.requireAuth && s.user == "" {
		return smtp.ErrAuthRequired
	}
	s.ts.wait("mail")
	if err := s.ts.fault("mail"); err != nil {
		return err
	}
	s.from = from
	s.requireTLS = opts != nil && opts.RequireTLS
	return nil
}

func (s *session) Rcpt(to string, opts *smtp.RcptOptions) error {
	if err := s.ts.fault("rcpt:" + to); err != nil {
		return err
	}
	if err := s.ts.fault("rcpt"); err != nil {
		return err
	}
	s.to = append(s.to, to)
	return nil
}

func (s *session) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.ts.wait("data")
	s.ts.mu.Lock()
	delay := s.ts.dataDelay
	s.ts.mu.Unlock()
	time.Sleep(delay)
	if err := s.ts.fault("data"); err != nil {
		return err
	}
	s.ts.mu.Lock()
	defer s.ts.mu.Unlock()
	s.ts.msgs = append(s.ts.msgs, received{
		From: s.from, To: s.to, Data: data, Conn: s.conn, TLS: s.tls, User: s.user, Helo: s.helo, RequireTLS: s.requireTLS,
	})
	return nil
}

func (s *session) Reset() {
	s.from = ""
	s.to = nil
}

func (s *session) Logout() error { return nil }

// countingListener counts connections, the open ones and the most open at
// once, and can close them all.
type countingListener struct {
	net.Listener
	mu       sync.Mutex
	next     uint64
	accepted int64
	openNow  int64
	max      int64
	conns    map[*countedConn]struct{}
}

type listenerStats struct{ accepted, open, maxOpen int64 }

func (l *countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.next++
	l.accepted++
	l.openNow++
	l.max = max(l.max, l.openNow)
	cc := &countedConn{Conn: c, id: l.next, l: l}
	if l.conns == nil {
		l.conns = map[*countedConn]struct{}{}
	}
	l.conns[cc] = struct{}{}
	return cc, nil
}

func (l *countingListener) stats() listenerStats {
	l.mu.Lock()
	defer l.mu.Unlock()
	return listenerStats{l.accepted, l.openNow, l.max}
}

func (l *countingListener) closeAll() {
	l.mu.Lock()
	conns := make([]*countedConn, 0, len(l.conns))
	for c := range l.conns {
		conns = append(conns, c)
	}
	l.mu.Unlock()
	for _, c := range conns {
		_ = c.Close()
	}
}

// countedConn tells its listener when it is closed.
type countedConn struct {
	net.Conn
	id   uint64
	l    *countingListener
	once sync.Once
}

func (c *countedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() {
		c.l.mu.Lock()
		defer c.l.mu.Unlock()
		c.l.openNow--
		delete(c.l.conns, c)
	})
	return err
}

// testCert makes a certificate for 127.0.0.1 and localhost, and the pool a
// client trusts it with.
func testCert(t testing.TB) (tls.Certificate, *x509.CertPool) {
	c := testcert.New(t)
	return c.TLS, c.Pool
}
