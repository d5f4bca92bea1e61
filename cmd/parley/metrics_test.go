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
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"parley/internal/redisclient"
	"parley/internal/testpeers"
	"parley/internal/testpeers/redispeer"
	"parley/internal/testpeers/smtppeer"
	"parley/internal/testpeers/twiliopeer"
	"parley/threads"
)

// TestMetrics scrapes /metrics of a running serve and sees every counter
// move: lines by the door they came through (api, web, email, sms), a
// delivery sent, retried and dead-lettered, a digest sent, SMTP sessions
// and replies by code, the Twilio webhook by result, Redis commands timed,
// the queue read; /readyz answers ready once the worker runs. With
// PARLEY_METRICS_ADDR both move to their own address.
func TestMetrics(t *testing.T) {
	t.Parallel()
	const public = "https://parley.example.org"
	ctx := context.Background()
	e := redisEnv(t)
	sink := smtppeer.Start(t)
	fake := twiliopeer.New(t)
	e = e.with("PARLEY_HTTP_ADDR", "127.0.0.1:0", "PARLEY_SMTP_ADDR", "127.0.0.1:0", "PARLEY_SECRET", strings.Repeat("k", 32),
		"PARLEY_BATCH_WINDOW", "0s", "PARLEY_SMS_WINDOW", "0s", "PARLEY_METRICS_ADDR", "127.0.0.1:0", "PARLEY_DOMAIN", "parley.test",
		"PARLEY_SMARTHOST", sink.Addr, "PARLEY_SMARTHOST_TLS", "none", "PARLEY_RETRY_BACKOFF", "100ms",
		"PARLEY_SENDER_AUTH", "off", "PARLEY_PUBLIC_URL", public,
		"TWILIO_ACCOUNT_SID", fake.AccountSID, "TWILIO_AUTH_TOKEN", fake.AuthToken, "PARLEY_SMS_FROM", "+15550009999",
		"PARLEY_TWILIO_API_URL", fake.URL)
	seed(t, e)
	ok(t, e, "presence", "set", "carol", "offline") // texted
	// dave is busy, on a daily digest that came due an hour or more ago,
	// with a line he has not seen in ops.
	ok(t, e, "user", "add", "--id", "dave", "--name", "Dave", "--email", "dave@example.org")
	ok(t, e, "user", "set", "dave", "--digest", "daily")
	// Only dave's: a digest to bob could take the refusal meant for a line.
	ok(t, e, "user", "set", "bob", "--digest", "off")
	ok(t, e, "user", "set", "carol", "--digest", "off")
	ok(t, e, "presence", "set", "dave", "busy")
	ok(t, e, "room", "create", "--id", "ops", "--name", "Ops", "--members", "alice,dave")
	ok(t, e, "post", "--room", "ops", "--as", "alice", "for dave's digest")
	if _, err := storeForAt(t, e, time.Now().Add(-25*time.Hour)).Digests.ScheduleDigests(ctx); err != nil {
		t.Fatal(err)
	}
	st := openStore(t, e)
	apiKey, _, err := st.Auth.NewAPIToken(ctx, "alice", "metrics test")
	if err != nil {
		t.Fatal(err)
	}
	session, se, err := st.Auth.NewSession(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	bobsReply, err := st.Auth.ReplyToken(ctx, "design", "bob")
	if err != nil {
		t.Fatal(err)
	}

	s := startServe(t, e)
	addr, smtpAddr, metricsAddr := s.addr(t, "http"), s.addr(t, "smtp"), s.addr(t, "metrics")
	do := func(req *http.Request) (int, string) {
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0, err.Error()
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	get := func(url string) (int, string) {
		req, _ := http.NewRequest(http.MethodGet, url, nil)
		return do(req)
	}
	s.waitFor(t, "GET /readyz", 10*time.Second, func() bool {
		code, _ := get("http://" + metricsAddr + "/readyz")
		return code == http.StatusOK
	})
	if code, _ := get("http://" + addr + "/metrics"); code != http.StatusNotFound {
		t.Errorf("/metrics on the HTTP address with PARLEY_METRICS_ADDR set: %d", code)
	}
	scrape := func() string {
		_, page := get("http://" + metricsAddr + "/metrics")
		return page
	}

	// A line through each door: the API (a key), the page (a session),
	// a reply by email and a text.
	post := func(text string, auth func(*http.Request)) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/api/rooms/design/lines", strings.NewReader(`{"text":"`+text+`"}`))
		req.Header.Set("Content-Type", "application/json")
		auth(req)
		if code, body := do(req); code != http.StatusCreated {
			t.Fatalf("POST %q: %d %s", text, code, body)
		}
	}
	byKey := func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+apiKey) }
	post("@carol by the API", byKey) // a mention: texted to carol
	post("from the page", func(r *http.Request) {
		r.AddCookie(&http.Cookie{Name: "parley_session", Value: session})
		r.Header.Set("X-CSRF-Token", se.CSRF)
	})
	reply := "From: Bob Ray <bob@example.org>\r\nTo: " + threads.ReplyAddress(bobsReply, "parley.test") +
		"\r\nSubject: Re: Design\r\nMessage-ID: <metrics-1@example.org>\r\n\r\nby email\r\n"
	if err := smtp.SendMail(smtpAddr, nil, "bob@example.org", []string{threads.ReplyAddress(bobsReply, "parley.test")}, []byte(reply)); err != nil {
		t.Fatalf("bob's reply by email: %v", err)
	}
	// An SMTP message to nobody: the door refuses it (550), and counts it.
	if err := smtp.SendMail(smtpAddr, nil, "x@example.org", []string{"nobody@nowhere.example"}, []byte("Subject: x\r\n\r\nx\r\n")); err == nil {
		t.Error("the door accepted mail for nobody")
	}
	// carol answers the text she got, by text; a forged text is refused.
	var text twiliopeer.Message
	s.waitFor(t, "a text to carol", 15*time.Second, func() bool {
		for _, m := range fake.Messages() {
			if m.To == "+15550002222" {
				text = m
				return true
			}
		}
		return false
	})
	in := fake.InboundParams("+15550002222", text.From, "by text")
	for _, c := range []struct {
		token string
		want  int
	}{{strings.Repeat("f", 32), http.StatusForbidden}, {fake.AuthToken, http.StatusOK}} {
		req, err := twiliopeer.NewSignedRequest(ctx, c.token, public+"/sms/twilio", "http://"+addr+"/sms/twilio", in)
		if err != nil {
			t.Fatal(err)
		}
		if code, body := do(req); code != c.want {
			t.Fatalf("text signed with %.4s...: %d %s, want %d", c.token, code, body, c.want)
		}
	}

	var metrics string
	s.waitFor(t, "the counters to move", 15*time.Second, func() bool {
		metrics = scrape()
		for _, series := range []string{
			`parley_lines_posted_total{origin="api"}`, `parley_lines_posted_total{origin="web"}`,
			`parley_lines_posted_total{origin="email"}`, `parley_lines_posted_total{origin="sms"}`,
			`parley_deliveries_total{channel="email",result="sent"}`, `parley_deliveries_total{channel="sms",result="sent"}`,
			`parley_digests_sent_total`, `parley_smtp_replies_total{code="250"}`, `parley_smtp_replies_total{code="550"}`,
			`parley_webhook_requests_total{result="200",webhook="text"}`, `parley_webhook_requests_total{result="403",webhook="text"}`,
			`parley_inbound_total{door="api",result="201"}`,
		} {
			if value(metrics, series) < 1 {
				return false
			}
		}
		return value(metrics, "parley_smtp_sessions_total") >= 2
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

	// The smarthost refuses bob's next email for now, then for good: one
	// retry, then dead letters.
	var refusals atomic.Int32
	// Only bob's: dave's digest, if it is late, must not take it.
	sink.RefuseTo(func(stage, rcpt string) error {
		if stage != "rcpt" || rcpt != "bob@example.org" {
			return nil
		}
		if refusals.Add(1) == 1 {
			return smtppeer.Temporary
		}
		return smtppeer.Permanent
	})
	post("refused by the smarthost", byKey)
	s.waitFor(t, "a retry and a dead letter", 15*time.Second, func() bool {
		metrics = scrape()
		return value(metrics, `parley_delivery_retries_total{channel="email"}`) >= 1 &&
			value(metrics, `parley_dead_letters_total{channel="email"}`) >= 1
	})

	// The dashboard charts only metrics that exist (errors appear with
	// the first one; TestReady counts one).
	dash, err := os.ReadFile("../../deploy/grafana-dashboard.json")
	if err != nil {
		t.Fatal(err)
	}
	names := regexp.MustCompile(`\bparley_[a-z_]+`).FindAllString(string(dash), -1)
	if len(names) < 15 {
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
	up := newOps(threads.New(r.Client, threads.Options{Prefix: r.Prefix}), r.Client, newEvents(), quiet)
	deadAddr := "127.0.0.1:" + strconv.Itoa(testpeers.FreePort(t))
	dead := redis.NewClient(&redis.Options{Addr: deadAddr, DialTimeout: 200 * time.Millisecond, MaxRetries: -1})
	defer dead.Close()
	down := newOps(threads.New(dead, threads.Options{}), dead, newEvents(), quiet)
	hung := redisclient.New(&redis.Options{Addr: silentListener(t)})
	defer hung.Close()
	hangs := newOps(threads.New(hung, threads.Options{}), hung, newEvents(), quiet)
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
