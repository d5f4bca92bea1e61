package imappoll

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"

	"parley/internal/fixtures"
	"parley/internal/testpeers/dovecotpeer"
)

// The poller against a real Dovecot (Debian package dovecot-imapd): a
// throwaway instance of our own, on free loopback ports, started and
// stopped by PID.

// dovecot is a running test instance (internal/testpeers/dovecotpeer).
type dovecot struct {
	plain, imaps string // 127.0.0.1:PORT
	pool         *x509.CertPool
	log          fmt.Stringer
}

// startDovecot starts Dovecot with users alice, bob, carol and dave (password
// testPassword). Without Dovecot the test fails under CI (CI installs it)
// and is skipped elsewhere.
func startDovecot(t *testing.T) *dovecot {
	t.Helper()
	users := map[string]string{}
	for _, u := range []string{"alice", "bob", "carol", "dave"} {
		users[u] = testPassword
	}
	mp := dovecotpeer.Start(t, users)
	return &dovecot{plain: mp.Addr, imaps: mp.TLSAddr, pool: mp.RootCAs, log: stringerFunc(mp.Log)}
}

type stringerFunc func() string

func (f stringerFunc) String() string { return f() }

func TestDovecotEndToEnd(t *testing.T) {
	d := startDovecot(t)
	fixture := fixtures.Read(t, "mime/deltachat/gmx-quote.eml")
	// IMAP messages are CRLF; Dovecot stores LF and serves CRLF.
	raw := bytes.ReplaceAll(bytes.ReplaceAll(fixture, []byte("\r\n"), []byte("\n")), []byte("\n"), []byte("\r\n"))

	for _, tc := range []struct {
		name, user, url string
		tls             bool   // ask for TLS although the host is loopback
		after           string // Options.After
	}{
		{"imaps", "alice", "imaps://alice:%s@" + d.imaps + "/INBOX", false, ""},
		{"starttls", "bob", "imap://bob:%s@" + d.plain + "/INBOX", true, ""},
		{"plain loopback", "carol", "imap://carol:%s@" + d.plain + "/INBOX", false, ""},
		{"move", "dave", "imaps://dave:%s@" + d.imaps + "/INBOX", false, "move:Parley Done"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			rec := &recorder{}
			rawURL := fmt.Sprintf(tc.url, strings.ReplaceAll(testPassword, "/", "%2F"))
			r := startPoller(t, rawURL, rec, func(o *Options) {
				o.TLSConfig = &tls.Config{RootCAs: d.pool}
				o.After = tc.after
			},
				func(p *Poller) { p.plainOK = !tc.tls && p.plainOK })
			r.logs.waitFor(t, 5*time.Second, "imap idling", 1)

			c := dialTestClient(t, d.plain, tc.user, testPassword, false, nil)
			uid := appendMsg(t, c, "INBOX", raw)
			calls := rec.waitCalls(t, 1, 5*time.Second)
			if !bytes.Equal(calls[0].raw, raw) {
				t.Errorf("handed over %d bytes, not the %d appended:\n%q", len(calls[0].raw), len(raw), calls[0].raw)
			}
			env := calls[0].env
			if env.Door != "imap" || env.MailFrom != "alice@gmx.de" || !slices.Equal(env.Rcpt, []string{"bob@gmx.de"}) || env.Remote != "INBOX" {
				t.Errorf("envelope %+v, want imap, alice@gmx.de, [bob@gmx.de], INBOX", env)
			}
			if tc.after == "" {
				waitFor(t, 5*time.Second, "\\Seen in Dovecot", func() bool {
					return hasFlag(mailboxFlags(t, c, "INBOX")[uid], imap.FlagSeen)
				})
			} else {
				// The folder did not exist: MOVE said TRYCREATE, the
				// poller created it and moved the message, \Seen.
				waitFor(t, 5*time.Second, "the message moved", func() bool {
					return len(mailboxFlags(t, c, "INBOX")) == 0
				})
				if !strings.Contains(r.logs.String(), "created the folder") {
					t.Errorf("the poller did not create the folder:\n%s", r.logs)
				}
				done := mailboxFlags(t, c, "Parley Done")
				if len(done) != 1 {
					t.Errorf("Parley Done holds %v, want the message", done)
				}
				for _, f := range done {
					if !hasFlag(f, imap.FlagSeen) {
						t.Errorf("moved message flags %v, want \\Seen", f)
					}
				}
			}
			r.stop()
			if n := len(rec.got()); n != 1 {
				t.Errorf("handed over %d times, want once", n)
			}
			// Dovecot logs how each session came in: the poller's is the
			// one with TLS (imaps, STARTTLS) or the other ("secured", plain
			// loopback; the test client is plain too).
			tlsLogin := "user=<" + tc.user + ">, method=PLAIN, rip=127.0.0.1"
			sawTLS := false
			for _, line := range strings.Split(d.log.String(), "\n") {
				if strings.Contains(line, tlsLogin) && strings.Contains(line, ", TLS,") {
					sawTLS = true
				}
			}
			if wantTLS := tc.name != "plain loopback"; sawTLS != wantTLS {
				t.Errorf("dovecot saw a TLS login for %s: %v, want %v", tc.user, sawTLS, wantTLS)
			}
			t.Logf("%s: appended, handed over and marked in %v", tc.name, time.Since(start).Round(time.Millisecond))
		})
	}
}
