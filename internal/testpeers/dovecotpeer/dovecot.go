// Package dovecotpeer starts a throwaway Dovecot IMAP server for tests,
// with users of the test's choosing: a private instance (its own
// configuration and mail directories under /tmp) on free loopback ports,
// which leaves the system's mail setup alone and is stopped by PID when
// the test ends.
//
// It needs the Debian package dovecot-imapd and root, because Dovecot's
// daemons drop privileges to their own users. When either is missing the
// test fails under CI and is skipped elsewhere (the rule of package
// testpeers).
package dovecotpeer

import (
	"context"
	"crypto/x509"
	"fmt"
	"net"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"parley/internal/syncbuf"
	"parley/internal/testcert"
	"parley/internal/testpeers"
)

// Install is the command that installs Dovecot's IMAP server.
var Install = testpeers.Apt("dovecot-imapd")

// Server is a running throwaway Dovecot IMAP server. Its users' mail is
// in Maildirs under Dir/mail/USER, served as uid 65534 (nobody).
type Server struct {
	// Addr is plain IMAP (STARTTLS offered), 127.0.0.1:PORT. From
	// loopback Dovecot lets a plain-text LOGIN through.
	Addr string
	// TLSAddr is IMAPS (implicit TLS), 127.0.0.1:PORT.
	TLSAddr string
	// RootCAs trusts the instance's self-signed certificate (names
	// localhost and 127.0.0.1).
	RootCAs *x509.CertPool
	// Dir holds the instance: dovecot.conf, users, run/, state/, mail/.
	Dir string

	log   *syncbuf.Buffer
	users map[string]string
	bin   string
	stop  func() // stops the running instance; safe to call twice
	pgid  int    // the running instance's process group
}

// Start starts a private Dovecot (`dovecot -F`, a child of the
// test) on free loopback ports with the given users (name: password; a
// name or password may not hold ':' or a line break). It returns once
// Dovecot greets. It is stopped by PID, and its directory removed, when t
// ends; on failure its log is logged.
func Start(t testing.TB, users map[string]string) *Server {
	t.Helper()
	bin := Need(t)

	// /tmp/dvNNNN: socket paths under run/ must stay below 108 bytes, and
	// the auth process (user dovecot) must reach the users file.
	d := &Server{Dir: testpeers.TempDir(t, "dv"), log: &syncbuf.Buffer{}, users: map[string]string{}, bin: bin}
	for _, sub := range []string{"run", "state"} {
		testpeers.MakeDir(t, filepath.Join(d.Dir, sub), 0o755, 0, 0)
	}
	testpeers.MakeDir(t, filepath.Join(d.Dir, "mail"), 0o755, 65534, 65534)
	names := make([]string, 0, len(users))
	for name := range users {
		names = append(names, name)
	}
	slices.Sort(names)
	var passwd strings.Builder
	for _, name := range names {
		pw := users[name]
		if name == "" || strings.ContainsAny(name, ":\r\n/") || strings.ContainsAny(pw, ":\r\n") || pw == "" {
			t.Fatalf("dovecotpeer.Start: user %q: names may not be empty or hold ':', '/' or line breaks; passwords may not be empty or hold ':' or line breaks", name)
		}
		fmt.Fprintf(&passwd, "%s:{PLAIN}%s\n", name, pw)
		d.users[name] = pw
	}
	// Readable by the auth process, which runs as user dovecot.
	testpeers.WriteFile(t, filepath.Join(d.Dir, "users"), []byte(passwd.String()), 0o644)
	certPEM, keyPEM, pool := selfSigned(t)
	d.RootCAs = pool
	testpeers.WriteFile(t, filepath.Join(d.Dir, "cert.pem"), certPEM, 0o644)
	testpeers.WriteFile(t, filepath.Join(d.Dir, "key.pem"), keyPEM, 0o600)

	for attempt := 1; ; attempt++ {
		port, tlsPort := testpeers.FreePort(t), testpeers.FreePort(t)
		for tlsPort == port { // the kernel may hand out a just-closed port again
			tlsPort = testpeers.FreePort(t)
		}
		d.Addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
		d.TLSAddr = net.JoinHostPort("127.0.0.1", strconv.Itoa(tlsPort))
		testpeers.WriteFile(t, d.Conf(), []byte(dovecotConf(d.Dir, port, tlsPort)), 0o644)
		start := time.Now()
		err := d.run(t, bin)
		if err == nil {
			t.Logf("dovecot on %s (imaps %s), up in %v", d.Addr, d.TLSAddr, time.Since(start).Round(time.Millisecond))
			return d
		}
		if attempt == 3 || !strings.Contains(d.log.String(), "in use") {
			t.Fatalf("dovecot: %v\nlog:\n%s", err, d.log)
		}
	}
}

// Need checks, before a test starts anything else, that Start can run
// here: Dovecot installed, and root. Otherwise the test fails under CI and
// is skipped elsewhere. It returns the path of dovecot.
func Need(t testing.TB) string {
	t.Helper()
	bin := testpeers.Program(t, "dovecot", Install, "/usr/sbin/dovecot")
	testpeers.Root(t, "Dovecot")
	return bin
}

func dovecotConf(dir string, port, tlsPort int) string {
	return fmt.Sprintf(`instance_name = dvtest-%[2]d
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
`, dir, port, tlsPort)
}

// run starts dovecot in the foreground and waits for its greeting (a bare
// connect is not enough: auth may not be up yet). On success the cleanup
// that stops it is registered; on error it is gone.
func (d *Server) run(t testing.TB, bin string) error {
	cmd := exec.Command(bin, "-F", "-c", d.Conf())
	cmd.Stdout, cmd.Stderr = d.log, d.log
	// A group of its own, so that Kill reaches the IMAP processes too.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	// The master stops its children and exits within about a second.
	stop, err := testpeers.Daemon{Name: "dovecot", Cmd: cmd, Addr: d.Addr, Greeting: "* OK", Grace: 10 * time.Second}.Start()
	if err != nil {
		return err
	}
	stop = sync.OnceFunc(stop)
	d.stop = stop
	d.pgid = cmd.Process.Pid
	t.Cleanup(func() {
		stop()
		if t.Failed() {
			t.Logf("dovecot %s log:\n%s", d.Addr, d.log)
		}
	})
	return nil
}

// Kill stops Dovecot at once, as a crash or a power cut would: SIGKILL to
// its master and every IMAP process, so each session ends mid-command. It
// waits until the master has exited.
func (d *Server) Kill() {
	if d.stop == nil {
		return
	}
	_ = syscall.Kill(-d.pgid, syscall.SIGKILL)
	d.stop() // reaps the master
}

// Restart starts Dovecot again after Kill, on the same ports and mail.
func (d *Server) Restart(t testing.TB) {
	t.Helper()
	if err := d.run(t, d.bin); err != nil {
		t.Fatalf("dovecot restart: %v\nlog:\n%s", err, d.log)
	}
}

// Conf is the path of the instance's dovecot.conf, for Dovecot's tools
// (doveadm -c CONF).
func (d *Server) Conf() string { return filepath.Join(d.Dir, "dovecot.conf") }

// Log returns what Dovecot logged so far (logins, errors).
func (d *Server) Log() string { return d.log.String() }

// Dial logs user in over plain IMAP and returns the client, logged out
// and closed when t ends. Dovecot allows 10 connections per user and
// address: close clients you are done with.
func (d *Server) Dial(t testing.TB, user string) *imapclient.Client {
	t.Helper()
	c := d.login(t, user)
	t.Cleanup(func() { logout(c) })
	return c
}

// login dials and logs user in; the caller logs out.
func (d *Server) login(t testing.TB, user string) *imapclient.Client {
	t.Helper()
	pw, ok := d.users[user]
	if !ok {
		t.Fatalf("dovecot: no user %q", user)
	}
	c, err := imapclient.DialInsecure(d.Addr, nil)
	if err != nil {
		t.Fatalf("dovecot: dial %s: %v", d.Addr, err)
	}
	if err := c.Login(user, pw).Wait(); err != nil {
		_ = c.Close()
		t.Fatalf("dovecot: login %s: %v\nlog:\n%s", user, err, d.log)
	}
	return c
}

func logout(c *imapclient.Client) {
	_ = c.Logout().Wait()
	_ = c.Close()
}

// Append puts msg (CRLF line ends, as IMAP wants) into user's mailbox with
// IMAP APPEND, as a mail client or delivery agent would, and returns its
// UID. flags may be empty: the message is then new and unseen.
func (d *Server) Append(t testing.TB, user, mailbox string, msg []byte, flags ...imap.Flag) imap.UID {
	t.Helper()
	c := d.login(t, user)
	defer logout(c)
	cmd := c.Append(mailbox, int64(len(msg)), &imap.AppendOptions{Flags: flags})
	if _, err := cmd.Write(msg); err != nil {
		t.Fatalf("dovecot: append to %s/%s: %v", user, mailbox, err)
	}
	if err := cmd.Close(); err != nil {
		t.Fatalf("dovecot: append to %s/%s: %v", user, mailbox, err)
	}
	data, err := cmd.Wait()
	if err != nil {
		t.Fatalf("dovecot: append to %s/%s: %v", user, mailbox, err)
	}
	return data.UID
}

// AppendAll puts msgs into user's mailbox, as Append does, over one
// connection, and returns their UIDs.
func (d *Server) AppendAll(t testing.TB, user, mailbox string, msgs [][]byte) []imap.UID {
	t.Helper()
	c := d.login(t, user)
	defer logout(c)
	uids := make([]imap.UID, len(msgs))
	for i, msg := range msgs {
		cmd := c.Append(mailbox, int64(len(msg)), nil)
		_, err := cmd.Write(msg)
		if err == nil {
			err = cmd.Close()
		}
		var data *imap.AppendData
		if err == nil {
			data, err = cmd.Wait()
		}
		if err != nil {
			t.Fatalf("dovecot: append %d to %s/%s: %v", i, user, mailbox, err)
		}
		uids[i] = data.UID
	}
	return uids
}

// Flags returns the flags of every message in user's mailbox, by UID. It
// reads the mailbox with EXAMINE (read-only), so reading changes nothing.
func (d *Server) Flags(t testing.TB, user, mailbox string) map[imap.UID][]imap.Flag {
	t.Helper()
	c := d.login(t, user)
	defer logout(c)
	sel, err := c.Select(mailbox, &imap.SelectOptions{ReadOnly: true}).Wait()
	if err != nil {
		t.Fatalf("dovecot: examine %s/%s: %v", user, mailbox, err)
	}
	out := map[imap.UID][]imap.Flag{}
	if sel.NumMessages == 0 {
		return out
	}
	var all imap.SeqSet
	all.AddRange(1, 0) // 1:*
	msgs, err := c.Fetch(all, &imap.FetchOptions{UID: true, Flags: true}).Collect()
	if err != nil {
		t.Fatalf("dovecot: fetch flags of %s/%s: %v", user, mailbox, err)
	}
	for _, m := range msgs {
		out[m.UID] = m.Flags
	}
	return out
}

// Doveadm runs `doveadm -c CONF args...` against the instance and returns
// its output, for example Doveadm(t, "mailbox", "status", "-u", "alice",
// "messages unseen", "INBOX").
func (d *Server) Doveadm(t testing.TB, args ...string) string {
	t.Helper()
	bin := testpeers.Program(t, "doveadm", Install, "/usr/bin/doveadm")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, bin, append([]string{"-c", d.Conf()}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("doveadm %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// selfSigned makes the instance's certificate and a pool that trusts it.
func selfSigned(t testing.TB) (certPEM, keyPEM []byte, pool *x509.CertPool) {
	c := testcert.New(t)
	return c.CertPEM, c.KeyPEM, c.Pool
}
