// Package peerproc starts and finds the outside programs parley measures
// itself against or tests with (redis-server, Postfix's tools), without
// the testing package: parley bench uses it, and so do the test peers in
// internal/testpeers.
package peerproc

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// Look finds the program name in PATH or at one of places: its path, and
// whether it is installed.
func Look(name string, places ...string) (string, bool) {
	if p, err := exec.LookPath(name); err == nil {
		return p, true
	}
	for _, p := range places {
		if st, err := os.Stat(p); err == nil && !st.IsDir() && st.Mode()&0o111 != 0 {
			return p, true
		}
	}
	return "", false
}

// LaunchRedis starts the redis-server at bin on a free loopback port, with no persistence unless
// extra says otherwise, its files in dir, and returns its address and the
// function that stops it.
func LaunchRedis(bin, dir string, extra ...string) (addr string, stop func(), err error) {
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
	if err := WaitPing(addr, dir); err != nil {
		stop()
		return "", nil, err
	}
	return addr, stop, nil
}

// WaitPing waits until the redis-server on addr answers PING; dir holds
// its log, quoted when it does not.
func WaitPing(addr, dir string) error {
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
				return nil
			}
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(dir + "/redis.log")
			return fmt.Errorf("redis-server on %s did not start: %v\n%s", addr, err, log)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
