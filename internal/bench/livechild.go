package bench

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The live figure's clients run in a child process: the running binary
// (parley, or a test binary that links this package) started again with
// liveChildEnv set to "ADDR,N,TOKEN". The child opens N streams, writes
// "ready" on stdout, waits for "go UNIX-NANOS" on stdin (the wall-clock
// time the parent posts the line at: both run on one machine), and
// writes one line per client that got the line: nanoseconds from that
// time to the client reading it. It exits after liveWait or once every
// client has the line.
const liveChildEnv = "PARLEY_BENCH_LIVE_CLIENTS"

// liveWait is how long the clients wait for the line.
const liveWait = 30 * time.Second

// init turns this process into the live figure's clients when the
// parent asked for it. It is an init, not a call in each main, so that
// parley and the test binaries of this package and of cmd/parley all
// answer without wiring of their own.
func init() {
	if spec := os.Getenv(liveChildEnv); spec != "" {
		if err := liveChild(context.Background(), spec, os.Stdin, os.Stdout); err != nil {
			fmt.Fprintf(os.Stderr, "live clients: %v\n", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
}

// liveChild is the child's whole work; spec is "ADDR,N,TOKEN".
func liveChild(ctx context.Context, spec string, in io.Reader, out io.Writer) error {
	addr, rest, _ := strings.Cut(spec, ",")
	count, token, _ := strings.Cut(rest, ",")
	n, err := strconv.Atoi(count)
	if err != nil || n <= 0 || addr == "" || token == "" {
		return fmt.Errorf("%s=%q: want ADDR,N,TOKEN", liveChildEnv, spec)
	}
	raiseFileLimit(uint64(n + 1024))
	request := []byte("GET /api/stream HTTP/1.1\r\nHost: " + addr + "\r\nAuthorization: Bearer " + token +
		"\r\nAccept: text/event-stream\r\n\r\n")
	var (
		mu     sync.Mutex
		conns  []net.Conn
		ready  = make(chan error, n)
		posted = make(chan struct{})
		start  time.Time // the go mark, set before posted is closed
		dialer net.Dialer
		// Each client's time from the mark to the line, kept until every
		// client has it: writing them out meanwhile would take the CPU
		// the others need to read theirs.
		took    = make([]int64, 0, n)
		tookMu  sync.Mutex
		allTook = make(chan struct{})
	)
	defer func() {
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			_ = c.Close()
		}
	}()
	for range n {
		c, err := dialer.DialContext(ctx, "tcp", addr)
		if err != nil {
			return err
		}
		mu.Lock()
		conns = append(conns, c)
		mu.Unlock()
		go func() {
			err := followStream(c, request, ready, func() bool {
				at := time.Now()
				<-posted
				tookMu.Lock()
				took = append(took, int64(at.Sub(start)))
				if len(took) == n {
					close(allTook)
				}
				tookMu.Unlock()
				return false // only the first line counts
			})
			if err != nil {
				ready <- err
			}
		}()
	}
	for range n {
		if err := <-ready; err != nil {
			return err
		}
	}
	if _, err := fmt.Fprintln(out, "ready"); err != nil {
		return err
	}
	mark, err := bufio.NewReader(in).ReadString('\n')
	if err != nil {
		return fmt.Errorf("waiting for the go mark: %w", err)
	}
	nanos, err := strconv.ParseInt(strings.TrimPrefix(strings.TrimSpace(mark), "go "), 10, 64)
	if err != nil {
		return fmt.Errorf("go mark %q: %w", mark, err)
	}
	start = time.Unix(0, nanos)
	close(posted)
	select {
	case <-allTook:
	case <-time.After(liveWait):
	}
	tookMu.Lock()
	defer tookMu.Unlock()
	w := bufio.NewWriter(out)
	for _, d := range took {
		fmt.Fprintln(w, d)
	}
	return w.Flush()
}

// clientProcess is a running child process of live clients.
type clientProcess struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	lines  *bufio.Scanner
	stderr *bytes.Buffer
	cancel context.CancelFunc
}

// startLiveClients starts n clients of the stream at addr in a child
// process and returns once every stream is open.
func startLiveClients(ctx context.Context, addr, token string, n int) (*clientProcess, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("live clients: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	cmd := exec.CommandContext(ctx, exe)
	cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%s,%d,%s", liveChildEnv, addr, n, token))
	c := &clientProcess{cmd: cmd, stderr: &bytes.Buffer{}, cancel: cancel}
	cmd.Stderr = c.stderr
	if c.stdin, err = cmd.StdinPipe(); err != nil {
		cancel()
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		cancel()
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		cancel()
		return nil, fmt.Errorf("live clients: %w", err)
	}
	c.lines = bufio.NewScanner(stdout)
	if !c.lines.Scan() || c.lines.Text() != "ready" {
		c.close()
		return nil, c.failure()
	}
	return c, nil
}

// goMark tells the clients the time the line is posted at.
func (c *clientProcess) goMark(at time.Time) error {
	if _, err := fmt.Fprintf(c.stdin, "go %d\n", at.UnixNano()); err != nil {
		return fmt.Errorf("live clients: %w", err)
	}
	return nil
}

// receipts reads each client's time from the mark to the line, until
// the child exits.
func (c *clientProcess) receipts() ([]time.Duration, error) {
	var out []time.Duration
	for c.lines.Scan() {
		d, err := strconv.ParseInt(c.lines.Text(), 10, 64)
		if err != nil {
			return out, fmt.Errorf("live clients wrote %q", c.lines.Text())
		}
		out = append(out, time.Duration(d))
	}
	if err := c.cmd.Wait(); err != nil {
		return out, c.failure()
	}
	return out, nil
}

// failure is the child's own account of why it stopped, else its exit.
func (c *clientProcess) failure() error {
	if msg := strings.TrimSpace(c.stderr.String()); msg != "" {
		return fmt.Errorf("%s", msg)
	}
	return fmt.Errorf("live clients stopped before they were ready")
}

// close stops the child (it closes its streams when its stdin closes or
// it is killed) and waits for it.
func (c *clientProcess) close() {
	_ = c.stdin.Close()
	c.cancel()
	_ = c.cmd.Wait()
}
