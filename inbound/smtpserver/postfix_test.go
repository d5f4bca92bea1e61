package smtpserver

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"parley/inbound"
)

// Where Debian's postfix package puts the programs the tests run.
const (
	postfixMaster = "/usr/lib/postfix/sbin/master"
	postfixConf   = "/etc/postfix/master.cf"
	smtpSource    = "/usr/sbin/smtp-source"
	installHint   = "apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y postfix swaks"
)

// needPostfix skips the test when Postfix is missing, or fails it under
// CI, which installs it.
func needPostfix(t testing.TB, programs ...string) {
	t.Helper()
	for _, p := range append([]string{postfixMaster, postfixConf}, programs...) {
		if _, err := os.Stat(p); err != nil {
			if os.Getenv("CI") != "" {
				t.Fatalf("%s is missing: CI must install Postfix (%s)", p, installHint)
			}
			t.Skipf("%s is missing; to run this test: %s", p, installHint)
		}
	}
	if os.Geteuid() != 0 {
		if os.Getenv("CI") != "" {
			t.Fatal("the Postfix test starts Postfix's master, which must run as root")
		}
		t.Skip("the Postfix test starts Postfix's master, which must run as root")
	}
}

// freePort returns a loopback port that was free a moment ago.
func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// postfix is a throwaway Postfix instance with its own config and queue
// directories, listening on 127.0.0.1:port and relaying all mail to
// upstream. It is stopped, by PID, at the end of the test.
type postfix struct {
	dir  string
	port int
}

func startPostfix(t testing.TB, upstream string) *postfix {
	t.Helper()
	dir, err := os.MkdirTemp("", "pf")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	// Postfix's daemons run as user postfix and must reach the queue.
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	pf := &postfix{dir: dir, port: freePort(t)}
	etc, spool, data := filepath.Join(dir, "etc"), filepath.Join(dir, "spool"), filepath.Join(dir, "data")

	pfUID, pfGID := lookupIDs(t, "postfix", "postfix")
	_, dropGID := lookupIDs(t, "", "postdrop")
	mkdir := func(path string, mode os.FileMode, uid, gid int) {
		t.Helper()
		if err := os.MkdirAll(path, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(path, uid, gid); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(path, mode); err != nil {
			t.Fatal(err)
		}
	}
	mkdir(etc, 0o755, 0, 0)
	mkdir(spool, 0o755, 0, 0)
	mkdir(data, 0o700, pfUID, pfGID)
	for _, q := range []string{"active", "bounce", "corrupt", "defer", "deferred", "flush", "hold", "incoming", "private", "saved", "trace"} {
		mkdir(filepath.Join(spool, q), 0o700, pfUID, 0)
	}
	mkdir(filepath.Join(spool, "maildrop"), 0o730, pfUID, dropGID)
	mkdir(filepath.Join(spool, "public"), 0o710, pfUID, dropGID)
	mkdir(filepath.Join(spool, "pid"), 0o755, 0, 0)

	host, port, err := net.SplitHostPort(upstream)
	if err != nil {
		t.Fatal(err)
	}
	// [host]:port: relay there, without MX lookup.
	mainCF := fmt.Sprintf(`compatibility_level = 3.6
queue_directory = %[1]s
data_directory = %[2]s
meta_directory = /etc/postfix
maillog_file = %[3]s/maillog
maillog_file_prefixes = %[3]s
myhostname = mta.test
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
relayhost = [%[4]s]:%[5]s
smtp_dns_support_level = disabled
smtpd_peername_lookup = no
alias_maps =
smtp_tls_security_level = none
`, spool, data, dir, host, port)
	writeFile(t, filepath.Join(etc, "main.cf"), mainCF)
	writeFile(t, filepath.Join(etc, "master.cf"), privateMasterCF(t, fmt.Sprintf("127.0.0.1:%d", pf.port)))

	cmd := exec.Command(postfixMaster, "-c", etc, "-s")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting postfix master: %v", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
		if t.Failed() {
			t.Logf("postfix output:\n%s\nmaillog:\n%s", out.String(), pf.maillog())
		}
	})
	// Ready once smtpd answers with its banner.
	deadline := time.Now().Add(10 * time.Second)
	for {
		if banner(pf.addr()) {
			return pf
		}
		select {
		case err := <-exited:
			t.Fatalf("postfix master exited: %v\n%s\n%s", err, out.String(), pf.maillog())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("postfix did not answer on %s\n%s\n%s", pf.addr(), out.String(), pf.maillog())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (pf *postfix) addr() string { return fmt.Sprintf("127.0.0.1:%d", pf.port) }

func (pf *postfix) maillog() string {
	b, _ := os.ReadFile(filepath.Join(pf.dir, "maillog"))
	return string(b)
}

// waitLog waits until the maillog has a line containing all of want.
func (pf *postfix) waitLog(t testing.TB, timeout time.Duration, want ...string) string {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		for _, line := range strings.Split(pf.maillog(), "\n") {
			all := true
			for _, w := range want {
				all = all && strings.Contains(line, w)
			}
			if all {
				return line
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no maillog line with %q after %v:\n%s", want, timeout, pf.maillog())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// banner tells whether an SMTP server answers 220 on addr.
func banner(addr string) bool {
	conn, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return false
	}
	defer conn.Close()
	_ = conn.SetReadDeadline(time.Now().Add(2 * time.Second))
	line, err := bufio.NewReader(conn).ReadString('\n')
	return err == nil && strings.HasPrefix(line, "220 ")
}

// privateMasterCF is Debian's master.cf with chroot off everywhere (a
// chroot would need /etc files copied into the queue) and smtpd bound to
// listen.
func privateMasterCF(t testing.TB, listen string) string {
	t.Helper()
	b, err := os.ReadFile(postfixConf)
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if line != "" && line[0] >= 'a' && line[0] <= 'z' && len(f) >= 8 {
			f[4] = "n"
			if f[0] == "smtp" && f[1] == "inet" {
				f[0] = listen
			}
			line = strings.Join(f, " ")
		}
		out.WriteString(line + "\n")
	}
	return out.String()
}

func lookupIDs(t testing.TB, userName, groupName string) (uid, gid int) {
	t.Helper()
	if userName != "" {
		u, err := user.Lookup(userName)
		if err != nil {
			t.Fatal(err)
		}
		uid, _ = strconv.Atoi(u.Uid)
	}
	g, err := user.LookupGroup(groupName)
	if err != nil {
		t.Fatal(err)
	}
	gid, _ = strconv.Atoi(g.Gid)
	return uid, gid
}

func writeFile(t testing.TB, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// submit hands msg to the SMTP server at addr with a real client tool:
// swaks when installed, else Postfix's smtp-source.
func submit(t testing.TB, addr, from, to, msg string) {
	t.Helper()
	file := filepath.Join(t.TempDir(), "msg.eml")
	writeFile(t, file, msg)
	var cmd *exec.Cmd
	if swaks, err := exec.LookPath("swaks"); err == nil {
		cmd = exec.Command(swaks, "--server", addr, "--ehlo", "client.test", "--from", from, "--to", to,
			"--data", "@"+file, "--silent", "2")
	} else {
		cmd = exec.Command(smtpSource, "-f", from, "-t", to, "-F", file, "-m", "1", addr)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cmd = exec.CommandContext(ctx, cmd.Path, cmd.Args[1:]...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(cmd.Args, " "), err, out)
	}
}

// TestThroughPostfix has a real Postfix relay mail to the door: a reply
// arrives with its envelope; a refused recipient makes Postfix bounce,
// and the bounce (null sender) arrives at the sender's reply address with
// our reason and nothing internal; a temporary failure leaves the mail
// deferred in Postfix's queue.
func TestThroughPostfix(t *testing.T) {
	needPostfix(t)
	recv := newFakeReceiver()
	recv.receive = func(_ context.Context, env inbound.Envelope, raw []byte) (inbound.Result, error) {
		if bytes.Contains(raw, []byte("defer-me")) {
			return inbound.Result{}, inbound.Defer("room store unavailable", fmt.Errorf("redis: %s", secret))
		}
		return inbound.Result{Outcome: inbound.Posted}, nil
	}
	ts := startServer(t, recv, Options{})
	start := time.Now()
	pf := startPostfix(t, ts.addr)
	t.Logf("postfix up in %v", time.Since(start))

	// 1. A reply goes through.
	reply := "From: Alice <alice@example.org>\r\nTo: reply+tok1@parley.test\r\nSubject: Re: lunch\r\n" +
		"Message-ID: <e2e-1@example.org>\r\n\r\nYes, noon works.\r\n"
	submit(t, pf.addr(), "alice@example.org", "reply+tok1@parley.test", reply)
	recv.wait(t, 1, 10*time.Second)
	d := recv.deliveries()[0]
	if d.env.Door != "smtp" || d.env.MailFrom != "alice@example.org" || len(d.env.Rcpt) != 1 ||
		d.env.Rcpt[0] != "reply+tok1@parley.test" || !strings.HasPrefix(d.env.Remote, "127.0.0.1:") {
		t.Errorf("envelope %+v", d.env)
	}
	raw := string(d.raw)
	for _, want := range []string{"by mta.test (Postfix)", "Message-ID: <e2e-1@example.org>", "\r\n\r\nYes, noon works.\r\n"} {
		if !strings.Contains(raw, want) {
			t.Errorf("relayed message lacks %q:\n%s", want, raw)
		}
	}
	pf.waitLog(t, 5*time.Second, "to=<reply+tok1@parley.test>", "status=sent", "250 2.0.0")

	// 2. A non-reply address is refused at RCPT; Postfix bounces to the
	// sender, which here is one of ours, with the null sender.
	submit(t, pf.addr(), "reply+tok2@parley.test", "nobody@parley.test",
		"From: reply+tok2@parley.test\r\nTo: nobody@parley.test\r\nSubject: hello\r\n\r\nhi\r\n")
	pf.waitLog(t, 10*time.Second, "to=<nobody@parley.test>", "status=bounced", "550 5.1.1 no such reply address")
	recv.wait(t, 1, 10*time.Second)
	b := recv.deliveries()[1]
	if b.env.MailFrom != "" || len(b.env.Rcpt) != 1 || b.env.Rcpt[0] != "reply+tok2@parley.test" {
		t.Errorf("bounce envelope %+v, want null sender to reply+tok2@parley.test", b.env)
	}
	if !strings.Contains(string(b.raw), "no such reply address") {
		t.Errorf("bounce lacks our reason:\n%s", b.raw)
	}

	// 3. A temporary failure leaves the message in Postfix's queue.
	submit(t, pf.addr(), "alice@example.org", "reply+tok3@parley.test",
		"From: alice@example.org\r\nTo: reply+tok3@parley.test\r\nSubject: defer-me\r\n\r\nlater\r\n")
	pf.waitLog(t, 10*time.Second, "to=<reply+tok3@parley.test>", "status=deferred", "451 4.3.0 room store unavailable")

	if strings.Contains(pf.maillog(), "SECRET") || strings.Contains(string(b.raw), "SECRET") {
		t.Errorf("internal detail reached Postfix:\n%s", pf.maillog())
	}
	if len(recv.deliveries()) != 2 {
		t.Errorf("%d deliveries, want 2", len(recv.deliveries()))
	}
	t.Logf("whole exchange in %v", time.Since(start))
}
