package imappoll

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
)

// The poller against a real Dovecot (Debian package dovecot-imapd): a
// throwaway instance of our own, on free loopback ports, started and
// stopped by PID (see ../shared/recipes/mail-peers.md).

const dovecotInstall = "apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y dovecot-imapd"

// dovecot is a running test instance.
type dovecot struct {
	plain, imaps string // 127.0.0.1:PORT
	pool         *x509.CertPool
	log          *logBuf
}

// startDovecot starts Dovecot with users alice, bob, carol and dave (password
// testPassword). Without Dovecot the test fails under CI (CI installs
// it) and is skipped elsewhere.
func startDovecot(t *testing.T) *dovecot {
	t.Helper()
	bin, err := exec.LookPath("dovecot")
	if err != nil {
		if _, serr := os.Stat("/usr/sbin/dovecot"); serr != nil {
			msg := "dovecot not found: install it with `" + dovecotInstall + "` (no daemon is started)"
			if os.Getenv("CI") != "" {
				t.Fatal(msg)
			}
			t.Skip(msg)
		}
		bin = "/usr/sbin/dovecot"
	}
	if os.Geteuid() != 0 {
		// The instance serves mail as uid 65534 and reads its files as
		// user dovecot: only root can set that up.
		t.Skip("the throwaway Dovecot needs root (it serves mail as uid 65534)")
	}

	// A short directory of our own: socket paths must stay under 108
	// bytes, and the auth process (user dovecot) must read it.
	dir, err := os.MkdirTemp("", "dv")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	must(t, os.Chmod(dir, 0o755))
	for _, d := range []string{"run", "state", "mail"} {
		must(t, os.Mkdir(filepath.Join(dir, d), 0o755))
	}
	must(t, os.Chown(filepath.Join(dir, "mail"), 65534, 65534))
	var users strings.Builder
	for _, u := range []string{"alice", "bob", "carol", "dave"} {
		fmt.Fprintf(&users, "%s:{PLAIN}%s\n", u, testPassword)
	}
	must(t, os.WriteFile(filepath.Join(dir, "users"), []byte(users.String()), 0o644))
	_, pool, certPEM, keyPEM := testCert(t)
	must(t, os.WriteFile(filepath.Join(dir, "cert.pem"), certPEM, 0o644))
	must(t, os.WriteFile(filepath.Join(dir, "key.pem"), keyPEM, 0o600))

	port, sport := freePort(t), freePort(t)
	conf := fmt.Sprintf(`instance_name = dvtest-%[2]d
base_dir = %[1]s/run
state_dir = %[1]s/state
log_path = /dev/stderr
protocols = imap
listen = 127.0.0.1
disable_plaintext_auth = no
auth_mechanisms = plain login
ssl = yes
ssl_cert = <%[1]s/cert.pem
ssl_key = <%[1]s/key.pem
mail_location = maildir:~/Maildir
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%%n %[1]s/users
}
userdb {
  driver = static
  args = uid=65534 gid=65534 home=%[1]s/mail/%%n
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = %[2]d
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = %[3]d
    ssl = yes
  }
}
`, dir, port, sport)
	confPath := filepath.Join(dir, "dovecot.conf")
	must(t, os.WriteFile(confPath, []byte(conf), 0o644))

	d := &dovecot{
		plain: fmt.Sprintf("127.0.0.1:%d", port),
		imaps: fmt.Sprintf("127.0.0.1:%d", sport),
		pool:  pool,
		log:   &logBuf{},
	}
	cmd := exec.Command(bin, "-F", "-c", confPath)
	cmd.Stdout, cmd.Stderr = d.log, d.log
	if err := cmd.Start(); err != nil {
		t.Fatalf("start dovecot: %v", err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
		if t.Failed() {
			t.Logf("dovecot log:\n%s", d.log)
		}
	})

	// Ready is a greeting, not a bare connect (auth may not be up yet).
	deadline := time.Now().Add(10 * time.Second)
	for {
		select {
		case <-exited:
			t.Fatalf("dovecot exited at start:\n%s", d.log)
		default:
		}
		if greeting(d.plain) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("dovecot gave no greeting on %s:\n%s", d.plain, d.log)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return d
}

func greeting(addr string) bool {
	conn, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return false
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(2 * time.Second))
	line, err := bufio.NewReader(conn).ReadString('\n')
	return err == nil && strings.HasPrefix(line, "* OK")
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestDovecotEndToEnd appends a real reply (gmx-quote.eml: Return-Path
// <alice@gmx.de>, Delivered-To bob@gmx.de) while the poller idles, over
// imaps, STARTTLS and plain loopback: the poller must hand it over byte
// for byte with that envelope, then Dovecot must show it \Seen (or, with
// After "move:Parley Done", in that new folder).
func TestDovecotEndToEnd(t *testing.T) {
	d := startDovecot(t)
	fixture, err := os.ReadFile(filepath.Join("..", "..", "..", "shared", "fixtures", "mime", "deltachat", "gmx-quote.eml"))
	if err != nil {
		t.Fatalf("fixture: %v", err)
	}
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
