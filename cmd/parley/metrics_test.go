package main

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/smtp"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"parley/internal/redisclient"
	"parley/internal/syncbuf"
	"parley/internal/testpeers"
	"parley/internal/testpeers/redispeer"
	"parley/threads"
)

// TestMetrics scrapes /metrics of a running serve and sees the counters
// move: a delivery sent, an SMTP refusal, Redis commands timed, the queue
// read; /readyz answers ready once the worker runs. With
// PARLEY_METRICS_ADDR both move to their own address.
func TestMetrics(t *testing.T) {
	t.Parallel()
	e := redisEnv(t)
	addr := "127.0.0.1:" + strconv.Itoa(testpeers.FreePort(t))
	smtpAddr := "127.0.0.1:" + strconv.Itoa(testpeers.FreePort(t))
	metricsAddr := "127.0.0.1:" + strconv.Itoa(testpeers.FreePort(t))
	e = e.with("PARLEY_HTTP_ADDR", addr, "PARLEY_SMTP_ADDR", smtpAddr, "PARLEY_SECRET", strings.Repeat("k", 32),
		"PARLEY_BATCH_WINDOW", "0s", "PARLEY_METRICS_ADDR", metricsAddr)
	seed(t, e)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errb syncbuf.Buffer
	done := make(chan int, 1)
	go func() { done <- run(ctx, []string{"serve"}, &out, &errb, e.get) }()
	defer func() {
		cancel()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			t.Error("serve did not stop")
		}
	}()
	get := func(url string) (int, string) {
		resp, err := http.Get(url)
		if err != nil {
			return 0, err.Error()
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	waitFor(t, "GET /readyz", 10*time.Second, func() bool {
		code, _ := get("http://" + metricsAddr + "/readyz")
		return code == http.StatusOK
	})
	if code, _ := get("http://" + addr + "/metrics"); code != http.StatusNotFound {
		t.Errorf("/metrics on the HTTP address with PARLEY_METRICS_ADDR set: %d", code)
	}

	ok(t, e, "post", "--room", "design", "--as", "alice", "for bob, by email")
	// An SMTP message to nobody: the door refuses it, and counts it.
	if err := smtp.SendMail(smtpAddr, nil, "x@example.org", []string{"nobody@nowhere.example"}, []byte("Subject: x\r\n\r\nx\r\n")); err == nil {
		t.Error("the door accepted mail for nobody")
	}
	var metrics string
	waitFor(t, "the counters to move", 15*time.Second, func() bool {
		_, metrics = get("http://" + metricsAddr + "/metrics")
		return value(metrics, `parley_deliveries_total{channel="email",result="sent"}`) >= 1 &&
			strings.Contains(metrics, `parley_inbound_total{door="smtp"`)
	})
	for _, want := range []string{"parley_queue_jobs ", "parley_queue_batches ", "parley_queue_dead_letters ",
		"parley_queue_oldest_job_seconds ", "parley_live_clients 0", "parley_worker_up 1", "go_goroutines ", "process_resident_memory_bytes "} {
		if !strings.Contains(metrics, want) {
			t.Errorf("no %q in /metrics", want)
		}
	}
	if n := value(metrics, "parley_redis_command_seconds_count"); n < 10 {
		t.Errorf("%v Redis commands timed", n)
	}
	// The dashboard in docs/ charts only metrics that exist (errors
	// appear with the first one; TestReady counts one).
	dash, err := os.ReadFile("../../docs/grafana-dashboard.json")
	if err != nil {
		t.Fatal(err)
	}
	names := regexp.MustCompile(`\bparley_[a-z_]+`).FindAllString(string(dash), -1)
	if len(names) < 8 {
		t.Fatalf("the dashboard charts %d parley metrics", len(names))
	}
	for _, n := range names {
		n = strings.TrimSuffix(n, "_bucket")
		if n != "parley_redis_errors_total" && !strings.Contains(metrics, "\n"+n) {
			t.Errorf("the dashboard charts %s, which /metrics does not have", n)
		}
	}
}

// value reads one sample of a Prometheus text page (-1 when absent).
func value(page, series string) float64 {
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(series) + ` (\S+)$`).FindStringSubmatch(page)
	if m == nil {
		return -1
	}
	v, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		return -1
	}
	return v
}

// TestReady: /readyz is 503 with the reason while Redis does not answer
// or the worker does not run, 200 when both hold. A Redis that takes
// connections and never answers costs the check its own 2 s, not
// go-redis's read timeout and retries.
func TestReady(t *testing.T) {
	quiet := slog.New(slog.DiscardHandler)
	r := redispeer.New(t)
	up := newOps(threads.New(r.Client, threads.Options{Prefix: r.Prefix}), r.Client, quiet)
	deadAddr := "127.0.0.1:" + strconv.Itoa(testpeers.FreePort(t))
	dead := redis.NewClient(&redis.Options{Addr: deadAddr, DialTimeout: 200 * time.Millisecond, MaxRetries: -1})
	defer dead.Close()
	down := newOps(threads.New(dead, threads.Options{}), dead, quiet)
	hung := redisclient.New(&redis.Options{Addr: silentListener(t)})
	defer hung.Close()
	hangs := newOps(threads.New(hung, threads.Options{}), hung, quiet)
	for _, c := range []struct {
		name   string
		o      *ops
		worker bool
		code   int
		body   string
	}{
		{"ready", up, true, http.StatusOK, `"status":"ready"`},
		{"worker stopped", up, false, http.StatusServiceUnavailable, "the delivery worker is not running"},
		{"redis down", down, true, http.StatusServiceUnavailable, "redis does not answer"},
		{"redis hangs", hangs, true, http.StatusServiceUnavailable, "redis does not answer"},
	} {
		c.o.workerUp.Store(c.worker)
		mux := http.NewServeMux()
		c.o.routes(mux)
		w := httptest.NewRecorder()
		start := time.Now()
		mux.ServeHTTP(w, httptest.NewRequest("GET", "/readyz", nil))
		if took := time.Since(start); took > readyTimeout+2*time.Second {
			t.Errorf("%s: /readyz took %s", c.name, took)
		}
		if w.Code != c.code || !strings.Contains(w.Body.String(), c.body) {
			t.Errorf("%s: %d %s, want %d with %q", c.name, w.Code, w.Body.String(), c.code, c.body)
		}
	}
	// A failing command is counted.
	_ = dead.Ping(context.Background()).Err()
	mux := http.NewServeMux()
	down.routes(mux)
	w := httptest.NewRecorder()
	mux.ServeHTTP(w, httptest.NewRequest("GET", "/metrics", nil))
	if v := value(w.Body.String(), `parley_redis_errors_total{command="ping"}`); v < 1 {
		t.Errorf("Redis errors counted: %v\n%s", v, w.Body.String())
	}
}

// silentListener takes connections on a loopback port and never answers:
// a Redis that hangs. It closes when t ends.
func silentListener(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			t.Cleanup(func() { _ = c.Close() })
			go func() { _, _ = io.Copy(io.Discard, c) }()
		}
	}()
	return ln.Addr().String()
}
