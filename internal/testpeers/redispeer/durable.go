package redispeer

import (
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"parley/internal/testpeers"
)

// Durable is a redis-server of one test's own with the persistence
// production needs (AOF, appendfsync always), which the test may kill
// (SIGKILL) and start again on the same port and data: the fault tests'
// Redis.
type Durable struct {
	// Addr is the server's host:port, the same across restarts.
	Addr string

	t    testing.TB
	bin  string
	dir  string
	port int

	mu  sync.Mutex
	cmd *exec.Cmd
}

// StartDurable starts a Durable server, killed when t ends.
func StartDurable(t testing.TB) *Durable {
	t.Helper()
	d := &Durable{t: t, bin: testpeers.Program(t, "redis-server", Install), dir: t.TempDir(), port: testpeers.FreePort(t)}
	d.Addr = "127.0.0.1:" + strconv.Itoa(d.port)
	d.Start()
	t.Cleanup(d.Kill)
	return d
}

// Start starts the server (again) on its port and data, and waits until it
// answers PING.
func (d *Durable) Start() {
	d.t.Helper()
	cmd := exec.Command(d.bin, "--port", strconv.Itoa(d.port), "--bind", "127.0.0.1", "--save", "",
		"--appendonly", "yes", "--appendfsync", "always", "--dir", d.dir, "--logfile", d.dir+"/redis.log")
	if err := cmd.Start(); err != nil {
		d.t.Fatalf("start redis-server: %v", err)
	}
	d.mu.Lock()
	d.cmd = cmd
	d.mu.Unlock()
	deadline := time.Now().Add(10 * time.Second)
	for !ping(d.Addr) {
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(d.dir + "/redis.log")
			d.t.Fatalf("redis-server on %s did not start:\n%s", d.Addr, log)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Kill stops the server with SIGKILL, as a crash would, and waits for it.
func (d *Durable) Kill() {
	d.mu.Lock()
	cmd := d.cmd
	d.cmd = nil
	d.mu.Unlock()
	if cmd != nil {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	}
}

// ping reports whether a Redis on addr answers PING (and is done loading).
func ping(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return false
	}
	defer c.Close()
	_, _ = c.Write([]byte("PING\r\n"))
	buf := make([]byte, 64)
	_ = c.SetReadDeadline(time.Now().Add(time.Second))
	n, _ := c.Read(buf)
	return strings.HasPrefix(string(buf[:n]), "+PONG")
}
