package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"parley/internal/syncbuf"
)

func TestDemo(t *testing.T) {
	t.Parallel()
	start := time.Now()
	// The walk-through runs in full however slow the machine; --for
	// counts from its end.
	r := parley(t, env{}, "demo", "--for", "2s")
	if r.code != 0 {
		t.Fatalf("demo exited %d; stderr:\n%s", r.code, r.err)
	}
	if took := time.Since(start); took < 2*time.Second || took > 2*time.Minute {
		t.Errorf("demo --for 2s took %s", took)
	}
	for _, want := range []string{
		"The data lives in memory, at redis://127.0.0.1:",
		"Line texts, quotes, files and profiles are sealed at rest with AES-256-GCM under data key ",
		"  export PARLEY_DATA_KEY_FILE=",
		"[design] Alice Archer: Morning all!",
		"    sees it live:     nobody\n",
		"    emailed:          bob (away), carol (offline), erin (offline)\n",
		"    held for digest:  dave (busy)\n",
		"    texted:           carol (offline, personal line)\n",
		"Bob answers his email from his phone",
		"A phone proves itself: dave types +15550004444 on his profile.",
		"outbox: sms to +15550004444\n    | ",
		"is your parley code to verify this phone.",
		"(POST /api/me/phone/confirm): verified=true, and the audit log",
		"Who shares interests with Alice (typography, go, cycling)? parley people search --as alice\n",
		"  carol  Carol Diaz  Field engineer, New York  3 shared: go, cycling, typography\n",
		"    inbox: posted in design: Bob Ray: Looks good from the clinic waiting room. @carol can you check it on your phone?\n",
		"    sender: example.org's DKIM signature verified",
		"[alice-carol] Alice Archer: Carol, could you call the printer",
		"instead of sending it",
		"outbox: email to bob@example.org (whole message: parley outbox show ",
		"    Subject: [Design] Alice Archer: Morning all! The new header is on staging…\n",
		"    | Alice Archer (",
		"): Morning all! The new header is on staging,",
		"outbox: email to erin@example.org",
		"    | Bob Ray (",
		"From: \"Bob Ray", // erin's email of bob's reply, with carol's line when it joined the batch
		"outbox: sms to +15550002222\n    | [Design] Bob Ray: Looks good",
		"outbox: sms to +15550002222\n    | [Alice & Carol] Alice Archer: Carol, could you call the printer",
		"Carol texts back from the road; Twilio would post her text, signed, to http://127.0.0.1:",
		"/sms/twilio:\n    webhook: 200 <Response/>\n",
		"    inbox: posted in design (the room of her last text): Carol Diaz: Checked on my phone:",
		"outbox: email to bob@example.org (whole message: parley outbox show ",
		"  export PARLEY_REDIS_URL=redis://127.0.0.1:",
		"outbox: email to alice@example.org",
		"    Subject: Your parley sign-in link\n",
		"\nThe web page: http://127.0.0.1:",
		"  Sign in as Alice with this link, the one in her sign-in email in the outbox",
		"/people?interest=go (or /api/people?interest=go)\n",
		"  Alice is an admin in the demo: http://127.0.0.1:",
		"  parley post --room design --as bob",
		"    auto-reply:       Dave Kim (auto-reply): in a workshop (shown live, never relayed; sent back once to a sender who wrote by email or text)\n",
		"    Subject: Carol Diaz is away (auto-reply)\n", // to bob, who wrote to her by email
		"[alice-erin] Alice Archer: Erin, the build is red",
		"    emailed:          erin (idle)\n",
		"    escalates:        erin to text at ",
		"    Erin Stone: by email ",
		", by text ",
		"outbox: sms to +15550005555\n    | [Alice & Erin] Alice Archer: Erin, the build is red",
		"  Carol Diaz (auto-reply): on the road\n",
		"[alice-bob] Alice Archer: Bob, can you sign the printer's quote today?\n",
		"    auto-reply:       Bob Ray (auto-reply): at the clinic, back tomorrow (until ",
		"    auto-reply:       none: bob already answered alice today\n",
		"    | Alice Archer (",
		"): Also: the venue called back.",
		"Dave was busy: his lines waited for his digest.",
		"outbox: email to dave@example.org",
		"    Subject: [parley] 6 new lines in Design\n",
		// Files and meetings (demo_files.go): bob gets the file attached,
		// carol a link; the meeting reaches everyone at once.
		"    |     [attached: site-plan.txt, 93 bytes]\n",
		"    attachment: site-plan.txt (text/plain)\n",
		"    | [file: site-plan.txt 93 bytes] http://127.0.0.1:",
		"/f/design~",
		"started a meeting: launch check - join: https://meet.jit.si/parley-",
		"The start of design's transcript",
		"Board is a confidential room",
		"outbox: email to carol@example.org",
		"    Subject: New line in Board\n",
		"    Subject: [parley] message\n",
		"    | Subject: [Board] Alice Archer: The launch budget is 40k; keep it in this room.\n",
		"): The launch budget is 40k; keep it in this", // the line wraps after the zone abbreviation
		"    --- ",
		"parley demo: stopped.\n",
	} {
		if !strings.Contains(r.out, want) {
			t.Errorf("demo output lacks %q", want)
		}
	}
	// Every relay from Design keeps the subject of each member's first one,
	// whoever wrote the later lines, so the room stays one thread.
	for _, l := range strings.Split(r.out, "\n") {
		if strings.HasPrefix(l, "    Subject: [Design]") && l != "    Subject: [Design] Alice Archer: Morning all! The new header is on staging…" {
			t.Errorf("a relay from Design changed its subject: %q", l)
		}
	}
	// Every link is built from the address the page listens on.
	if strings.Contains(r.out, "localhost:8080") {
		t.Errorf("the demo prints links to localhost:8080, where nothing listens")
	}
	// Every queued delivery shows up once, batched: one email each for bob,
	// carol and erin with alice's two lines (they came within the window),
	// carol's direct text; then bob's emailed reply: a text for carol (he
	// mentions her) and an email for erin; then one email to bob with
	// alice's two direct lines (auto-replies are never sent); then carol's
	// text reply: an email for bob, and one for erin unless her line joined
	// erin's batch of bob's reply (it comes within the window, so it
	// usually does); dave's digest, sent by hand; and alice's sign-in link.
	// Since auto-replies go back on the sender's channel and lines escalate:
	// carol's auto-reply email to bob (he wrote by email), and erin's direct
	// line by email (idle) and again by text (escalated). The confidential
	// room's line: encrypted to bob, a notice to carol. Alice's file and
	// meeting: a text each for carol and erin with the file's link, the
	// meeting's text to carol and its emails to bob and erin (the meeting
	// sends waiting batches at once). Dave's phone code, texted to the
	// number he gave. 20 in the run that set this; one either way as the
	// batches meet.
	if n := strings.Count(r.out, "\noutbox: "); n < 19 || n > 21 {
		t.Errorf("%d outbox entries, want 19 to 21:\n%s", n, r.out)
	}
	if strings.Contains(r.out, "    | Bob Ray (auto-reply)") || strings.Contains(r.out, "(auto-reply)\" <parley") {
		t.Errorf("an auto-reply was sent:\n%s", r.out)
	}
	if n := strings.Count(r.out, "Bob Ray (auto-reply)"); n != 1 {
		t.Errorf("bob's auto-reply shown %d times, want once", n)
	}
	relayed := false
	for _, entry := range strings.Split(r.out, "\noutbox: ")[1:] {
		relayed = relayed || strings.HasPrefix(entry, "email to bob@example.org") && strings.Contains(entry, "| Carol Diaz (")
	}
	if !relayed {
		t.Errorf("carol's text was not relayed to bob by email:\n%s", r.out)
	}
	if strings.Contains(r.out, "batch delivered") {
		t.Errorf("the worker's info log clutters the demo:\n%s", r.out)
	}
	if !strings.Contains(r.err, "data lives in memory") || !strings.Contains(r.err, "redis=redis://127.0.0.1:") {
		t.Errorf("the start-up log does not say where the data lives:\n%s", r.err)
	}
}

// TestDemoFollowsOtherTerminals posts into a running demo's store, as the
// demo tells people to, and sees the line and its outbox entry.
func TestDemoFollowsOtherTerminals(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errb syncbuf.Buffer
	done := make(chan int, 1)
	go func() { done <- run(ctx, []string{"demo"}, &out, &errb, env{}.get) }()

	waitFor(t, "the demo to finish its script", 20*time.Second, func() bool {
		return strings.Contains(out.String(), "Following design")
	})
	_, after, _ := strings.Cut(out.String(), "export PARLEY_REDIS_URL=")
	url, _, _ := strings.Cut(after, "\n")
	_, after, _ = strings.Cut(out.String(), "export PARLEY_DATA_KEY_FILE=")
	keyFile, _, _ := strings.Cut(after, "\n")
	other := env{"PARLEY_REDIS_URL": url, "PARLEY_DATA_KEY_FILE": keyFile}
	if r := parley(t, env{"PARLEY_REDIS_URL": url}, "lines", "--room", "design"); r.code == 0 || !strings.Contains(r.err, "PARLEY_DATA_KEY is not set") {
		t.Errorf("another terminal without the demo's data key: exit %d, %s", r.code, r.err)
	}
	ok(t, other, "post", "--room", "design", "--as", "erin", "Hello from another terminal")
	waitFor(t, "the live line and its outbox entry", 20*time.Second, func() bool {
		s := out.String()
		return strings.Contains(s, "  Erin Stone: Hello from another terminal\n") &&
			strings.Contains(s, "    | Erin Stone (") && strings.Contains(s, "): Hello from another terminal")
	})
	cancel()
	if code := <-done; code != 0 {
		t.Errorf("demo exited %d: %s", code, errb.String())
	}
}

func TestServe(t *testing.T) {
	t.Parallel()
	e := redisEnv(t).with("PARLEY_HTTP_ADDR", "127.0.0.1:0", "PARLEY_SMTP_ADDR", "127.0.0.1:0", "PARLEY_SECRET", strings.Repeat("k", 32))
	s := startServe(t, e)
	addr := s.addr(t, "http")
	var body string
	s.waitFor(t, "GET /healthz", 10*time.Second, func() bool {
		resp, err := http.Get("http://" + addr + "/healthz")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		body = string(b)
		return resp.StatusCode == http.StatusOK
	})
	if body != `{"status":"ok"}`+"\n" {
		t.Errorf("healthz body %q", body)
	}
	if code := s.stop(t); code != 0 {
		t.Errorf("serve exited %d", code)
	}
	if strings.Contains(s.err.String(), strings.Repeat("k", 32)) {
		t.Error("serve logged the secret")
	}
}

// TestServePartFails takes serve's SMTP address first: serve stops what
// it started, in reverse, and exits 1.
func TestServePartFails(t *testing.T) {
	t.Parallel()
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	e := redisEnv(t).with("PARLEY_HTTP_ADDR", "127.0.0.1:0",
		"PARLEY_SMTP_ADDR", taken.Addr().String(), "PARLEY_SECRET", strings.Repeat("k", 32))
	r := parley(t, e, "serve")
	if r.code != 1 || !strings.Contains(r.err, "parley: smtp server: listen on PARLEY_SMTP_ADDR "+taken.Addr().String()) {
		t.Errorf("exit %d, stderr:\n%s\nwant exit 1 and the SMTP address taken", r.code, r.err)
	}
	var stopped []string
	for _, line := range strings.Split(r.err, "\n") {
		if _, name, ok := strings.Cut(line, "msg=stopped component="); ok {
			name, _, _ = strings.Cut(name, " took=")
			stopped = append(stopped, name)
		}
	}
	want := `"http server",retention,"fan-out recovery","fan-out drain","digest scheduler","delivery worker"`
	if got := strings.Join(stopped, ","); got != want {
		t.Errorf("stopped %s, want %s", got, want)
	}
}

func TestServeNeedsSecret(t *testing.T) {
	t.Parallel()
	e := redisEnv(t)
	for _, tc := range []struct {
		env  env
		want string
	}{
		{e, "serve with a shared Redis needs PARLEY_SECRET"},
		{e.with("PARLEY_SECRET", "short"), "PARLEY_SECRET is 5 bytes; it must be at least 32"},
	} {
		r := parley(t, tc.env, "serve")
		if r.code != 2 || strings.Count(r.err, "\n") != 1 || !strings.Contains(r.err, tc.want) {
			t.Errorf("exit %d, stderr %q; want exit 2 and %q", r.code, r.err, tc.want)
		}
	}
}
