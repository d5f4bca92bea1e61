package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"parley/internal/syncbuf"
	"parley/internal/testpeers"
	"parley/internal/testpeers/redispeer"
)

// The domain of parley's own addresses in these tests.
const domain = "parley.test"

// parley is one `parley serve` subprocess and the environment its admin
// commands share with it.
type parley struct {
	HTTP, SMTP string // 127.0.0.1:PORT
	secret     string
	env        []string
	log        *syncbuf.Buffer // serve's stderr and stdout

	cmd     *exec.Cmd
	exited  chan struct{}
	waitErr error // set before exited is closed
	stopped bool
}

// startParley runs `parley serve` on free loopback ports against rd, with
// batching off and no smarthost (emails go to the outbox), plus the extra
// KEY=VALUE variables, and waits until /readyz answers 200 and the SMTP
// server greets. It is stopped by PID when t ends; call stop to check
// that it exits cleanly.
func startParley(t *testing.T, rd *redispeer.Redis, extra ...string) *parley {
	t.Helper()
	redisURL := rd.URL
	if rd.Kind == "REDIS_URL" {
		redisURL = os.Getenv("REDIS_URL") // keeps its password and database
	}
	p := &parley{secret: randomHex(t, 24), log: &syncbuf.Buffer{}}
	var base []string
	for _, kv := range os.Environ() {
		// The developer's own parley or Twilio settings stay out.
		if !strings.HasPrefix(kv, "PARLEY_") && !strings.HasPrefix(kv, "TWILIO_") {
			base = append(base, kv)
		}
	}
	base = append(base,
		"PARLEY_REDIS_URL="+redisURL,
		"PARLEY_KEY_PREFIX="+rd.Prefix,
		"PARLEY_SECRET="+p.secret,
		"PARLEY_DOMAIN="+domain,
		"PARLEY_BATCH_WINDOW=0s",
		"PARLEY_SMS_WINDOW=0s",
	)
	if raceEnabled {
		// A race-enabled binary sleeps a second at exit (to let a late
		// race report); every admin command would pay it.
		base = append(base, "GORACE="+strings.TrimSpace(os.Getenv("GORACE")+" atexit_sleep_ms=0"))
	}
	for attempt := 1; ; attempt++ {
		p.HTTP = "127.0.0.1:" + strconv.Itoa(testpeers.FreePort(t))
		p.SMTP = "127.0.0.1:" + strconv.Itoa(testpeers.FreePort(t))
		p.env = append(append(append([]string(nil), base...), "PARLEY_HTTP_ADDR="+p.HTTP, "PARLEY_SMTP_ADDR="+p.SMTP), extra...)
		start := time.Now()
		err := p.start(t)
		if err == nil {
			t.Logf("parley serve (pid %d, binary built in %v, race detector %v) up in %v: http %s, smtp %s",
				p.cmd.Process.Pid, buildTook.Round(time.Millisecond), raceEnabled, time.Since(start).Round(time.Millisecond), p.HTTP, p.SMTP)
			return p
		}
		// Another process may have taken a port between probe and bind.
		if attempt == 3 || !strings.Contains(p.log.String(), "address already in use") {
			t.Fatalf("parley serve: %v\nlog:\n%s", err, p.log)
		}
	}
}

func (p *parley) start(t *testing.T) error {
	t.Helper()
	p.cmd = exec.Command(parleyBin, "serve")
	p.cmd.Env = p.env
	p.cmd.Stdout, p.cmd.Stderr = p.log, p.log
	if err := p.cmd.Start(); err != nil {
		return err
	}
	exited := make(chan struct{})
	p.exited = exited
	cmd := p.cmd
	go func() {
		p.waitErr = cmd.Wait()
		close(exited)
	}()
	kill := func() {
		_ = cmd.Process.Kill()
		<-exited
	}
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(20 * time.Second)
	for !p.healthy(client) || !strings.HasPrefix(greeting(p.SMTP), "220 ") {
		select {
		case <-exited:
			return fmt.Errorf("exited at start: %v", p.waitErr)
		default:
		}
		if time.Now().After(deadline) {
			kill()
			return errors.New("GET /readyz is not 200, or no SMTP greeting, after 20s")
		}
		time.Sleep(25 * time.Millisecond)
	}
	t.Cleanup(func() {
		if !p.stopped {
			select {
			case <-exited:
			default:
				_ = cmd.Process.Signal(syscall.SIGTERM)
				select {
				case <-exited:
				case <-time.After(15 * time.Second):
					kill()
				}
			}
		}
		if t.Failed() || os.Getenv("E2E_SHOW_LOG") != "" {
			t.Logf("parley serve log:\n%s", p.log)
		}
	})
	return nil
}

// healthy: /readyz answers 200 (Redis answers, the worker runs).
func (p *parley) healthy(client *http.Client) bool {
	res, err := client.Get("http://" + p.HTTP + "/readyz")
	if err != nil {
		return false
	}
	res.Body.Close()
	return res.StatusCode == http.StatusOK
}

// greeting returns the first line an SMTP server sends, "" if none.
func greeting(addr string) string {
	conn, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return ""
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(2 * time.Second))
	buf := make([]byte, 512)
	n, _ := conn.Read(buf)
	line, _, _ := strings.Cut(string(buf[:n]), "\n")
	_, _ = conn.Write([]byte("QUIT\r\n"))
	return line
}

// stop sends SIGTERM and checks that serve exits 0 within 15 s, that it
// logged no data race, panic or error, and never logged its secrets.
func (p *parley) stop(t *testing.T, secrets ...string) {
	t.Helper()
	start := time.Now()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatalf("SIGTERM to parley serve: %v", err)
	}
	select {
	case <-p.exited:
	case <-time.After(15 * time.Second):
		t.Fatalf("parley serve still running 15 s after SIGTERM\n%s", p.log)
	}
	p.stopped = true
	if p.waitErr != nil {
		t.Errorf("parley serve exited with %v after SIGTERM, want status 0", p.waitErr)
	}
	t.Logf("parley serve stopped in %v", time.Since(start).Round(time.Millisecond))
	log := p.log.String()
	for _, bad := range []string{"WARNING: DATA RACE", "panic:", "level=ERROR"} {
		if strings.Contains(log, bad) {
			t.Errorf("parley serve logged %q", bad)
		}
	}
	for _, s := range append(secrets, p.secret) {
		if strings.Contains(log, s) {
			t.Errorf("parley serve logged a secret (%.4s...)", s)
		}
	}
}

// run runs a parley admin command with serve's environment and returns
// its standard output; it fails the test unless the command exits 0.
func (p *parley) run(t *testing.T, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, parleyBin, args...)
	cmd.Env = p.env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("parley %s: %v\nstderr: %s\nstdout: %s", strings.Join(args, " "), err, stderr.String(), stdout.String())
	}
	return stdout.String()
}

// runJSON runs a command that takes --json and decodes its output into v.
func (p *parley) runJSON(t *testing.T, v any, args ...string) {
	t.Helper()
	out := p.run(t, append(args, "--json")...)
	if err := json.Unmarshal([]byte(out), v); err != nil {
		t.Fatalf("parley %s --json: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// line is a line as `parley lines --json` prints it.
type line struct {
	ID     string `json:"id"`
	Room   string `json:"room"`
	Author string `json:"author"`
	Name   string `json:"name"`
	Text   string `json:"text"`
	Origin string `json:"origin"`
	Source string `json:"source_id"`
	Quote  string `json:"quote"`
}

// lines returns a room's lines, oldest first.
func (p *parley) lines(t *testing.T, room string) []line {
	t.Helper()
	var ls []line
	p.runJSON(t, &ls, "lines", "--room", room, "--limit", "1000")
	return ls
}

// outboxEntry is an entry as `parley outbox list --json` prints it.
type outboxEntry struct {
	ID      string `json:"id"`
	Channel string `json:"channel"`
	To      string `json:"to"`
	Subject string `json:"subject"`
	Body    string `json:"body"`
}

// emails returns the emails in the outbox addressed to to, oldest first.
func (p *parley) emails(t *testing.T, to string) []outboxEntry {
	t.Helper()
	var all, out []outboxEntry
	p.runJSON(t, &all, "outbox", "list", "--limit", "1000")
	for _, e := range all {
		if e.Channel == "email" && strings.EqualFold(e.To, to) {
			out = append(out, e)
		}
	}
	return out
}

// waitEmail waits until the outbox holds an email to to whose text
// contains text (compared word by word: the relay template wraps long
// lines), and returns it.
func (p *parley) waitEmail(t *testing.T, to, text string, timeout time.Duration) outboxEntry {
	t.Helper()
	var found outboxEntry
	waitFor(t, timeout, fmt.Sprintf("an email to %s with %q in the outbox", to, text), func() bool {
		for _, e := range p.emails(t, to) {
			if containsWords(plainText(t, e.Body), text) {
				found = e
				return true
			}
		}
		return false
	})
	return found
}

// containsWords tells whether text holds the words of want in order, with
// any white space between them.
func containsWords(text, want string) bool {
	return strings.Contains(" "+strings.Join(strings.Fields(text), " ")+" ", " "+strings.Join(strings.Fields(want), " ")+" ")
}

// waitFor polls cond every 50 ms until it holds, or fails the test after
// timeout.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("no %s after %v", what, timeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// waitLog waits until serve's log has a line that contains all of want.
func (p *parley) waitLog(t *testing.T, timeout time.Duration, want ...string) string {
	t.Helper()
	var found string
	waitFor(t, timeout, fmt.Sprintf("parley serve log line with %q", want), func() bool {
		ls := p.logLines(want...)
		if len(ls) > 0 {
			found = ls[0]
		}
		return len(ls) > 0
	})
	return found
}

// logLines returns serve's log lines that contain all of want.
func (p *parley) logLines(want ...string) []string {
	var out []string
	for _, l := range strings.Split(p.log.String(), "\n") {
		all := l != ""
		for _, w := range want {
			all = all && strings.Contains(l, w)
		}
		if all {
			out = append(out, l)
		}
	}
	return out
}

func randomHex(t *testing.T, n int) string {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}
