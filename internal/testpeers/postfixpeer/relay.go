package postfixpeer

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"parley/internal/syncbuf"
	"parley/internal/testpeers"
)

// Where Debian's postfix package puts what a private instance needs.
const (
	postfixMaster   = "/usr/lib/postfix/sbin/master"
	postfixMasterCF = "/etc/postfix/master.cf"
	postfixSendmail = "/usr/sbin/sendmail"
	postfixQueue    = "/usr/sbin/postqueue"
)

// Relay is a running throwaway Postfix: its smtpd on Addr accepts mail
// from loopback for any address and its smtp client relays all of it to
// Upstream, without DNS. Every delivery, deferral and bounce is logged to
// Maillog.
type Relay struct {
	// Addr is where Postfix's smtpd listens, 127.0.0.1:PORT.
	Addr string
	// Upstream is the SMTP server all mail is relayed to, host:port.
	Upstream string
	// Dir holds the instance: etc/ (main.cf, master.cf), spool/, data/
	// and the maillog file.
	Dir string

	out *syncbuf.Buffer // master's own stdout and stderr
}

// StartRelay starts a private Postfix (its own configuration and
// queue in /tmp, master in the foreground as a child of the test) that
// listens on a free loopback port and relays every message to upstream
// (host:port, no MX lookup, no TLS). Retries are quick (a deferred message
// is tried again within seconds) so that tests can watch them. It is
// stopped by PID, and its directory removed, when t ends; on failure its
// output and maillog are logged.
func StartRelay(t testing.TB, upstream string) *Relay {
	t.Helper()
	Need(t)
	host, port, err := net.SplitHostPort(upstream)
	if err != nil {
		t.Fatalf("StartRelay: upstream %q: %v", upstream, err)
	}

	p := &Relay{Upstream: upstream, Dir: testpeers.TempDir(t, "pf"), out: &syncbuf.Buffer{}}
	etc, spool, data := p.ConfigDir(), filepath.Join(p.Dir, "spool"), filepath.Join(p.Dir, "data")
	pfUID, pfGID := testpeers.IDs(t, "postfix", "postfix")
	_, dropGID := testpeers.IDs(t, "", "postdrop")
	testpeers.MakeDir(t, etc, 0o755, 0, 0)
	testpeers.MakeDir(t, spool, 0o755, 0, 0)
	testpeers.MakeDir(t, data, 0o700, pfUID, pfGID)
	for _, q := range []string{"active", "bounce", "corrupt", "defer", "deferred", "flush", "hold", "incoming",
		"private", "saved", "trace"} {
		testpeers.MakeDir(t, filepath.Join(spool, q), 0o700, pfUID, 0)
	}
	testpeers.MakeDir(t, filepath.Join(spool, "maildrop"), 0o730, pfUID, dropGID)
	testpeers.MakeDir(t, filepath.Join(spool, "public"), 0o710, pfUID, dropGID)
	testpeers.MakeDir(t, filepath.Join(spool, "pid"), 0o755, 0, 0)

	// [host]:port relays there without an MX lookup; nothing is local
	// (mydestination is empty), so even bounces go upstream.
	mainCF := fmt.Sprintf(`compatibility_level = 3.6
queue_directory = %[1]s
data_directory = %[2]s
meta_directory = /etc/postfix
maillog_file = %[3]s/maillog
maillog_file_prefixes = %[3]s
myhostname = mta.test
mydomain = mta.test
myorigin = mta.test
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
relayhost = [%[4]s]:%[5]s
smtp_dns_support_level = disabled
smtpd_peername_lookup = no
smtp_tls_security_level = none
smtpd_tls_security_level = none
alias_maps =
alias_database =
biff = no
queue_run_delay = 1s
minimal_backoff_time = 1s
maximal_backoff_time = 2s
`, spool, data, p.Dir, host, port)
	testpeers.WriteFile(t, filepath.Join(etc, "main.cf"), []byte(mainCF), 0o644)
	debianMasterCF, err := os.ReadFile(postfixMasterCF)
	if err != nil {
		t.Fatal(err)
	}

	// The free port may be taken before master binds it: then master
	// exits at once, and another port is tried.
	for attempt := 1; ; attempt++ {
		p.Addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(testpeers.FreePort(t)))
		testpeers.WriteFile(t, filepath.Join(etc, "master.cf"), privateMasterCF(debianMasterCF, p.Addr), 0o644)
		// Postfix will not read a configuration file changed within the
		// last second or two ("being edited"): it waits in steps of 0.3 s.
		// Dating the files a minute back saves those ~1.8 s.
		past := time.Now().Add(-time.Minute)
		for _, f := range []string{"main.cf", "master.cf"} {
			if err := os.Chtimes(filepath.Join(etc, f), past, past); err != nil {
				t.Fatal(err)
			}
		}
		start := time.Now()
		err := p.run(t)
		if err == nil {
			t.Logf("postfix relay on %s to %s, up in %v", p.Addr, upstream, time.Since(start).Round(time.Millisecond))
			return p
		}
		if attempt == 3 || !strings.Contains(p.Maillog()+p.out.String(), "in use") {
			t.Fatalf("postfix: %v\noutput:\n%s\nmaillog:\n%s", err, p.out, p.Maillog())
		}
	}
}

// run starts master and waits for smtpd's banner. On success the cleanup
// that stops it is registered; on error master is gone.
func (p *Relay) run(t testing.TB) error {
	cmd := exec.Command(postfixMaster, "-c", p.ConfigDir(), "-s")
	cmd.Stdout, cmd.Stderr = p.out, p.out
	// master passes TERM on to its children and is gone in ~50 ms.
	stop, err := testpeers.Daemon{Name: postfixMaster, Cmd: cmd, Addr: p.Addr, Greeting: "220 ", Grace: 5 * time.Second}.Start()
	if err != nil {
		return err
	}
	t.Cleanup(func() {
		stop()
		if t.Failed() {
			t.Logf("postfix relay %s: master output:\n%s\nmaillog:\n%s", p.Addr, p.out, p.Maillog())
		}
	})
	return nil
}

// Need checks, before a test starts anything else, that StartRelay can
// run here: Postfix installed, and root. Otherwise the test fails under CI
// and is skipped elsewhere.
func Need(t testing.TB) {
	t.Helper()
	testpeers.File(t, postfixMaster, Install)
	testpeers.File(t, postfixMasterCF, Install)
	testpeers.File(t, postfixSendmail, Install)
	testpeers.Root(t, "Postfix")
}

// privateMasterCF is Debian's master.cf with chroot off for every service
// (a chroot would need /etc files copied into the queue) and the smtpd
// listener moved to listen.
func privateMasterCF(debian []byte, listen string) []byte {
	var out bytes.Buffer
	for _, line := range strings.Split(string(debian), "\n") {
		f := strings.Fields(line)
		if line != "" && line[0] >= 'a' && line[0] <= 'z' && len(f) >= 8 {
			f[4] = "n" // chroot
			if f[0] == "smtp" && f[1] == "inet" {
				f[0] = listen
			}
			line = strings.Join(f, " ")
		}
		out.WriteString(line + "\n")
	}
	return out.Bytes()
}

// ConfigDir is the instance's configuration directory, for Postfix's
// tools: postqueue -c DIR, postsuper -c DIR, sendmail -C DIR.
func (p *Relay) ConfigDir() string { return filepath.Join(p.Dir, "etc") }

// Maillog returns the whole log so far.
func (p *Relay) Maillog() string {
	b, _ := os.ReadFile(filepath.Join(p.Dir, "maillog"))
	return string(b)
}

// LogLines returns the maillog lines that contain all of want.
func (p *Relay) LogLines(want ...string) []string { return linesWith(p.Maillog(), want...) }

// WaitLog waits until the maillog has a line that contains all of want,
// and returns the first such line.
func (p *Relay) WaitLog(t testing.TB, timeout time.Duration, want ...string) string {
	t.Helper()
	return p.WaitLogN(t, timeout, 1, want...)[0]
}

// WaitLogN waits until the maillog has n lines that contain all of want,
// and returns all such lines.
func (p *Relay) WaitLogN(t testing.TB, timeout time.Duration, n int, want ...string) []string {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		if lines := p.LogLines(want...); len(lines) >= n {
			return lines
		}
		if time.Now().After(deadline) {
			t.Fatalf("postfix: fewer than %d maillog lines with %q after %v:\n%s", n, want, timeout, p.Maillog())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Sendmail submits msg the way a local program does, with Postfix's own
// sendmail (postdrop into the maildrop queue, then pickup): envelope
// sender from, recipients to. It returns once Postfix has queued it.
func (p *Relay) Sendmail(t testing.TB, from string, to []string, msg []byte) {
	t.Helper()
	testpeers.File(t, postfixSendmail, Install)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	// -i: a line with a lone dot is text, not the end.
	args := append([]string{"-C", p.ConfigDir(), "-i", "-f", from, "--"}, to...)
	cmd := exec.CommandContext(ctx, postfixSendmail, args...)
	cmd.Stdin = bytes.NewReader(msg)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("sendmail %s: %v\n%s\nmaillog:\n%s", strings.Join(args, " "), err, out, p.Maillog())
	}
}

// WaitRetried waits until the maillog has a line that contains all of
// want, asking Postfix every 2 s to retry what it deferred (postqueue -f),
// as an operator would: Postfix's own retry (minimal_backoff_time 1s) is
// usually there in a second, but a loaded machine has seen it not come
// within 15 s. It returns the first such line.
func (p *Relay) WaitRetried(t testing.TB, timeout time.Duration, want ...string) string {
	t.Helper()
	deadline := time.Now().Add(timeout)
	nextFlush := time.Now().Add(2 * time.Second)
	for {
		if lines := p.LogLines(want...); len(lines) > 0 {
			return lines[0]
		}
		if time.Now().After(deadline) {
			t.Fatalf("postfix: no maillog line with %q after %v:\n%s", want, timeout, p.Maillog())
		}
		if time.Now().After(nextFlush) {
			p.flush(t)
			nextFlush = time.Now().Add(2 * time.Second)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// flush asks Postfix to retry its deferred mail now (postqueue -f); a
// failure is logged, and the caller goes on waiting for Postfix's own
// retry.
func (p *Relay) flush(t testing.TB) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if out, err := exec.CommandContext(ctx, postfixQueue, "-c", p.ConfigDir(), "-f").CombinedOutput(); err != nil {
		t.Logf("postqueue -f: %v\n%s", err, out)
	}
}

// Queue returns postqueue -p's listing of what waits in the queue
// ("Mail queue is empty" when nothing).
func (p *Relay) Queue(t testing.TB) string {
	t.Helper()
	testpeers.File(t, postfixQueue, Install)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, postfixQueue, "-c", p.ConfigDir(), "-p").CombinedOutput()
	if err != nil {
		t.Fatalf("postqueue -p: %v\n%s", err, out)
	}
	return string(out)
}

// linesWith returns the lines of text that contain every one of want.
func linesWith(text string, want ...string) []string {
	var out []string
	for _, line := range strings.Split(text, "\n") {
		all := true
		for _, w := range want {
			if !strings.Contains(line, w) {
				all = false
				break
			}
		}
		if all && line != "" {
			out = append(out, line)
		}
	}
	return out
}
