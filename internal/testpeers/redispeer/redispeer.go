// Package redispeer gives each test its own corner of a Redis server: the
// one in REDIS_URL when set; else a redis-server started on a free loopback
// port when the binary exists; else, off CI, an in-process miniredis as a
// stand-in (under CI=true a missing redis-server fails the test, by the
// rule of package testpeers).
package redispeer

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"parley/internal/redisclient"
	"parley/internal/testpeers"
)

// Redis is one test's Redis.
type Redis struct {
	// Client talks to the server.
	Client redis.UniversalClient
	// Prefix is this test's key prefix; every key it writes must start with it.
	Prefix string
	// Kind says which server: "REDIS_URL", "redis-server" or "miniredis".
	Kind string
	// Mini is the in-process server when Kind is "miniredis", for tests that
	// move its clock; nil otherwise.
	Mini *miniredis.Miniredis
	// Addr is the server's host:port.
	Addr string
}

// New returns a Redis for t. Keys under its prefix are deleted and servers
// it started are stopped when t ends.
func New(t testing.TB) *Redis {
	t.Helper()
	r := &Redis{Prefix: "t:" + randomHex(6) + ":"}
	switch url := os.Getenv("REDIS_URL"); {
	case url != "":
		opt, err := redis.ParseURL(url)
		if err != nil {
			t.Fatalf("REDIS_URL: %v", err)
		}
		r.Kind, r.Addr = "REDIS_URL", opt.Addr
		r.Client = redisclient.New(opt)
	default:
		if _, ok := testpeers.LookProgram("redis-server"); ok {
			r.Kind, r.Addr = "redis-server", StartServer(t)
		} else {
			testpeers.StandIn(t, "redis-server is not installed and REDIS_URL is not set", Install, "miniredis")
			r.Kind = "miniredis"
			r.Mini = miniredis.RunT(t)
			r.Addr = r.Mini.Addr()
		}
		r.Client = redisclient.New(&redis.Options{Addr: r.Addr})
	}
	ctx := context.Background()
	if err := r.Client.Ping(ctx).Err(); err != nil {
		t.Fatalf("redis at %s (%s): %v", r.Addr, r.Kind, err)
	}
	t.Cleanup(func() {
		r.cleanup(t)
		_ = r.Client.Close()
	})
	return r
}

// cleanup deletes every key under the prefix.
func (r *Redis) cleanup(t testing.TB) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	iter := r.Client.Scan(ctx, 0, r.Prefix+"*", 1000).Iterator()
	var batch []string
	for iter.Next(ctx) {
		batch = append(batch, iter.Val())
		if len(batch) == 1000 {
			r.Client.Del(ctx, batch...)
			batch = batch[:0]
		}
	}
	if len(batch) > 0 {
		r.Client.Del(ctx, batch...)
	}
	if err := iter.Err(); err != nil {
		t.Logf("clean up redis keys %s*: %v", r.Prefix, err)
	}
}

// Install is the command that installs redis-server.
var Install = testpeers.Apt("redis-server")

// StartServer starts a throwaway redis-server (no persistence) on a free
// loopback port, stopped when t ends, and returns its address. Tests that
// restart or kill Redis use it directly. extra are more server arguments.
func StartServer(t testing.TB, extra ...string) string {
	t.Helper()
	bin := testpeers.Program(t, "redis-server", Install)
	addr, stop, err := Launch(bin, t.TempDir(), extra...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	return addr
}

// Launch is StartServer without a test, for parley bench: it starts the
// redis-server at bin on a free loopback port, with no persistence unless
// extra says otherwise, its files in dir, and returns its address and the
// function that stops it.
func Launch(bin, dir string, extra ...string) (addr string, stop func(), err error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, fmt.Errorf("find a free loopback port: %w", err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	_ = l.Close()
	args := append([]string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
		"--dir", dir, "--logfile", dir + "/redis.log"}, extra...)
	cmd := exec.Command(bin, args...)
	if err := cmd.Start(); err != nil {
		return "", nil, fmt.Errorf("start redis-server: %w", err)
	}
	addr = "127.0.0.1:" + strconv.Itoa(port)
	stop = func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			_, _ = c.Write([]byte("PING\r\n"))
			buf := make([]byte, 16)
			_ = c.SetReadDeadline(time.Now().Add(time.Second))
			n, _ := c.Read(buf)
			_ = c.Close()
			if strings.HasPrefix(string(buf[:n]), "+PONG") {
				return addr, stop, nil
			}
		}
		if time.Now().After(deadline) {
			stop()
			log, _ := os.ReadFile(dir + "/redis.log")
			return "", nil, fmt.Errorf("redis-server on %s did not start: %v\n%s", addr, err, log)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Sprintf("crypto/rand: %v", err))
	}
	return hex.EncodeToString(b)
}
