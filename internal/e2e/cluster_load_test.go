package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/smtp"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"parley/internal/redisclient"
	"parley/internal/testpeers/redispeer"
	"parley/internal/testpeers/smtppeer"
	"parley/threads"
)

// loadSize is how much a load test posts: lines spread over rooms.
type loadSize struct{ lines, rooms int }

// loadSizeFromEnv is 600 lines over 30 rooms, fast enough for CI on two
// cores with the race detector; PARLEY_LOAD_FULL=1 asks for issue 17's
// 5,000 lines over 100 rooms.
func loadSizeFromEnv() loadSize {
	if os.Getenv("PARLEY_LOAD_FULL") != "" {
		return loadSize{lines: 5000, rooms: 100}
	}
	return loadSize{lines: 600, rooms: 30}
}

// loadText is the text of load line i; loadNumber finds it in an email's
// text part or a live event.
func loadText(i int) string { return fmt.Sprintf("load line %d", i) }

var loadNumber = regexp.MustCompile(regexp.QuoteMeta(lineMark) + `load line (\d+)\b`)

// loadScene is what the load tests set up in Redis before parley starts:
// rooms r0..rN-1, each with a poster of its own (API: each member has a
// request budget per process, 600 a minute, which one poster for many
// rooms would hit on one process and not on three), bob (replies by email), erin
// (away: every line is emailed to her), the watchers (a live stream each,
// no email) and, in r0, the digest members (busy, a digest already due).
type loadScene struct {
	store    *threads.Store
	rooms    []string
	poster   []string          // poster of each room
	apiKey   map[string]string // poster or watcher -> API key
	replyTo  []string          // bob's reply address of each room
	watchers []string
	digests  []string
}

// setupLoad writes the scene to rd's Redis under its prefix, through the
// engine, as parley's admin commands would (a hundred rooms by the CLI
// would take longer than the load).
func setupLoad(t *testing.T, rd *redispeer.Redis, secret string, size loadSize, watchers, digests int) *loadScene {
	t.Helper()
	ctx := context.Background()
	target, err := redisclient.ParseURL(rd.URL)
	if err != nil {
		t.Fatal(err)
	}
	rdb := target.Client()
	t.Cleanup(func() { _ = rdb.Close() })
	opts := threads.Options{Prefix: rd.Prefix, Secret: []byte(secret)}
	st := threads.New(rdb, opts)
	sc := &loadScene{store: st, apiKey: map[string]string{}}
	off := threads.Prefs{Digest: threads.DigestOff}
	add := func(u threads.User) {
		t.Helper()
		if _, err := st.Directory.AddUser(ctx, u); err != nil {
			t.Fatalf("add %s: %v", u.ID, err)
		}
	}
	add(threads.User{ID: "bob", Name: "Bob Ray", Emails: []string{"bob@example.org"}, Prefs: off})
	add(threads.User{ID: "erin", Name: "Erin", Emails: []string{"erin@example.org"}, Prefs: off})
	for _, m := range []string{"bob", "erin"} {
		if _, err := st.Chat.SetStatus(ctx, m, threads.Status{Availability: threads.Away}); err != nil {
			t.Fatal(err)
		}
	}
	key := func(id string) {
		t.Helper()
		k, _, err := st.Auth.NewAPIToken(ctx, id, "load test")
		if err != nil {
			t.Fatal(err)
		}
		sc.apiKey[id] = k
	}
	for i := range size.rooms {
		id := "p" + strconv.Itoa(i)
		add(threads.User{ID: id, Name: "Poster " + strconv.Itoa(i), Prefs: off})
		key(id)
	}
	for i := range watchers {
		id := "w" + strconv.Itoa(i)
		add(threads.User{ID: id, Name: "Watcher " + strconv.Itoa(i), Prefs: off})
		key(id)
		sc.watchers = append(sc.watchers, id)
	}
	for i := range digests {
		id := "d" + strconv.Itoa(i)
		add(threads.User{ID: id, Name: "Digest " + strconv.Itoa(i), Emails: []string{id + "@example.org"},
			Prefs: threads.Prefs{Digest: threads.DigestDaily}})
		if _, err := st.Chat.SetStatus(ctx, id, threads.Status{Availability: threads.Busy}); err != nil {
			t.Fatal(err)
		}
		sc.digests = append(sc.digests, id)
	}
	for r := range size.rooms {
		id := "r" + strconv.Itoa(r)
		poster := "p" + strconv.Itoa(r)
		members := append([]string{poster, "bob", "erin"}, sc.watchers...)
		if r == 0 {
			members = append(members, sc.digests...)
		}
		if _, err := st.Chat.CreateRoom(ctx, threads.Room{ID: id, Name: "Room " + id, Members: members}); err != nil {
			t.Fatal(err)
		}
		tok, err := st.Auth.ReplyToken(ctx, id, "bob")
		if err != nil {
			t.Fatal(err)
		}
		sc.rooms = append(sc.rooms, id)
		sc.poster = append(sc.poster, poster)
		sc.replyTo = append(sc.replyTo, threads.ReplyAddress(tok, domain))
	}
	if digests > 0 {
		// A line the digest members have not seen, and their digests due
		// an hour or more ago (scheduled as of yesterday).
		if _, err := st.Chat.Post(ctx, threads.NewLine{Room: "r0", Author: "p0", Text: "for the digests", Origin: threads.FromAPI}); err != nil {
			t.Fatal(err)
		}
		past := opts
		past.Now = func() time.Time { return time.Now().Add(-25 * time.Hour) }
		if _, err := threads.New(rdb, past).Digests.ScheduleDigests(ctx); err != nil {
			t.Fatal(err)
		}
	}
	return sc
}

// poster posts load lines through a set of parley processes, each line
// by the API or by email (alternately), retrying on the next process
// until one acknowledges it: with the same Idempotency-Key or
// Message-ID, so a line a dead process stored before it could answer is
// not stored twice.
type poster struct {
	procs []*parley
	sc    *loadScene
	http  *http.Client
	acked atomic.Int64
	tries atomic.Int64
}

// loadSenders is how many lines are in flight at once, whatever the
// number of processes.
const loadSenders = 12

// postAll posts lines 0..n-1 with loadSenders senders and returns how
// long it took until every one was acknowledged. onAck is called after
// each acknowledgement with the count so far.
func (ps *poster) postAll(t *testing.T, n int, onAck func(int64)) time.Duration {
	t.Helper()
	jobs := make(chan int)
	var wg sync.WaitGroup
	start := time.Now()
	failed := make(chan string, 1)
	for range loadSenders {
		wg.Go(func() {
			mail := map[*parley]*smtp.Client{}
			defer func() {
				for _, c := range mail {
					_ = c.Close()
				}
			}()
			for i := range jobs {
				begun := time.Now()
				for a := 0; ; a++ {
					ps.tries.Add(1)
					p := ps.procs[(i+a)%len(ps.procs)]
					var err error
					if i%2 == 0 {
						err = ps.postAPI(p, i)
					} else {
						err = ps.postMail(mail, p, i)
					}
					if err == nil {
						break
					}
					if time.Since(begun) > time.Minute {
						select {
						case failed <- fmt.Sprintf("line %d not acknowledged within a minute: %v", i, err):
						default:
						}
						return
					}
					time.Sleep(20 * time.Millisecond)
				}
				if onAck != nil {
					onAck(ps.acked.Add(1))
				}
			}
		})
	}
	for i := range n {
		select {
		case jobs <- i:
		case msg := <-failed:
			close(jobs)
			wg.Wait()
			t.Fatal(msg)
		}
	}
	close(jobs)
	wg.Wait()
	select {
	case msg := <-failed:
		t.Fatal(msg)
	default:
	}
	return time.Since(start)
}

// postAPI posts line i by its room's poster through p's API.
func (ps *poster) postAPI(p *parley, i int) error {
	r := i % len(ps.sc.rooms)
	body := `{"text":"` + loadText(i) + `"}`
	req, err := http.NewRequest(http.MethodPost, "http://"+p.HTTP+"/api/rooms/"+ps.sc.rooms[r]+"/lines", strings.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+ps.sc.apiKey[ps.sc.poster[r]])
	req.Header.Set("Idempotency-Key", "load-"+strconv.Itoa(i))
	res, err := ps.http.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusCreated && res.StatusCode != http.StatusOK {
		return fmt.Errorf("POST line %d: %d %s", i, res.StatusCode, b)
	}
	return nil
}

// postMail sends line i as bob's reply to p's SMTP door, on a connection
// kept per process.
func (ps *poster) postMail(conns map[*parley]*smtp.Client, p *parley, i int) error {
	c := conns[p]
	if c == nil {
		var err error
		if c, err = smtp.Dial(p.SMTP); err != nil {
			return err
		}
		if err := c.Hello("client.example.org"); err != nil {
			_ = c.Close()
			return err
		}
		conns[p] = c
	}
	err := sendOn(c, ps.sc.replyTo[i%len(ps.sc.rooms)], i)
	if err != nil {
		_ = c.Close()
		delete(conns, p)
	}
	return err
}

// sendOn sends one reply on an open SMTP session.
func sendOn(c *smtp.Client, to string, i int) error {
	if err := c.Mail("bob@example.org"); err != nil {
		return err
	}
	if err := c.Rcpt(to); err != nil {
		return err
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	msg := fmt.Sprintf("From: Bob Ray <bob@example.org>\r\nTo: %s\r\nSubject: Re: load\r\nMessage-ID: <load-%d@example.org>\r\n"+
		"Date: %s\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n%s\r\n",
		to, i, time.Now().Format(time.RFC1123Z), loadText(i))
	if _, err := io.WriteString(w, msg); err != nil {
		return err
	}
	return w.Close()
}

// watcher is one member's live stream on one process, reconnecting with
// Last-Event-ID whenever it breaks (the process killed and restarted).
type watcher struct {
	mu       sync.Mutex
	seen     map[string]int // "room id" -> times received
	last     string
	connects int
}

// watch follows the stream at addr as the member whose key is key until
// ctx ends.
func watch(ctx context.Context, addr, key string) *watcher {
	w := &watcher{seen: map[string]int{}}
	go func() {
		for ctx.Err() == nil {
			w.follow(ctx, addr, key)
			select {
			case <-ctx.Done():
			case <-time.After(100 * time.Millisecond):
			}
		}
	}()
	return w
}

// follow reads one connection of the stream until it ends.
func (w *watcher) follow(ctx context.Context, addr, key string) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/api/stream", nil)
	if err != nil {
		return
	}
	req.Header.Set("Authorization", "Bearer "+key)
	w.mu.Lock()
	if w.last != "" {
		req.Header.Set("Last-Event-ID", resumeFrom(w.last))
	}
	w.mu.Unlock()
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return
	}
	w.mu.Lock()
	w.connects++
	w.mu.Unlock()
	sc := bufio.NewScanner(res.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	event := ""
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "event: "):
			event = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: ") && event == "line":
			var l threads.Line
			if json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")), &l) == nil {
				w.mu.Lock()
				w.seen[l.Room+" "+l.ID]++
				if lineMS(l.ID) > lineMS(w.last) {
					w.last = l.ID
				}
				w.mu.Unlock()
			}
		case line == "":
			event = ""
		}
	}
}

// resumeWindow is how far before its newest line a watcher resumes. Lines
// of different rooms reach a stream in the order their masters publish
// them, not strictly in id order, so the newest id seen may be ahead of
// a line of another room still on its way when the stream broke; the
// server resends from the millisecond asked and the watcher counts what
// it already had (the protocol lets a client skip a room and id it has).
const resumeWindow = 5 * time.Second

// resumeFrom is the Last-Event-ID a watcher sends after seeing last.
func resumeFrom(last string) string {
	ms := lineMS(last) - resumeWindow.Milliseconds()
	return strconv.FormatInt(max(ms, 1), 10) + "-0"
}

// lineMS is the millisecond of a line id ("ms-seq"), 0 for "".
func lineMS(id string) int64 {
	ms, _, _ := strings.Cut(id, "-")
	n, _ := strconv.ParseInt(ms, 10, 64)
	return n
}

// missing returns the stored lines w has not received.
func (w *watcher) missing(stored map[string]int) []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []string
	for k := range stored {
		if w.seen[k] == 0 {
			out = append(out, k)
		}
	}
	return out
}

// storedLoad reads every room's lines and returns, by load line number,
// how many lines carry it, and the lines' "room id" keys.
func storedLoad(t *testing.T, sc *loadScene) (map[int]int, map[string]int) {
	t.Helper()
	count, keys := map[int]int{}, map[string]int{}
	for _, room := range sc.rooms {
		after := ""
		for {
			ls, err := sc.store.Chat.Lines(context.Background(), room, threads.Range{After: after, Limit: threads.MaxPage})
			if err != nil {
				t.Fatalf("lines of %s: %v", room, err)
			}
			for _, l := range ls {
				var n int
				if _, err := fmt.Sscanf(l.Text, "load line %d", &n); err == nil {
					count[n]++
					keys[room+" "+l.ID]++
				}
			}
			if len(ls) < threads.MaxPage {
				break
			}
			after = ls[len(ls)-1].ID
		}
	}
	return count, keys
}

// emailed counts, for each recipient and load line, the Message-IDs of
// the emails that carried it: a line sent once has one (a resend after a
// kill, between the smarthost's 250 and parley's record of it, keeps its
// Message-ID).
func emailed(sink *smtppeer.Server) map[string]map[int]map[string]bool {
	out := map[string]map[int]map[string]bool{}
	for _, m := range sink.Messages() {
		id := messageID(m.Data)
		for _, to := range m.To {
			if out[to] == nil {
				out[to] = map[int]map[string]bool{}
			}
			for _, g := range loadNumber.FindAllSubmatch(m.Data, -1) {
				n, _ := strconv.Atoi(string(g[1]))
				if out[to][n] == nil {
					out[to][n] = map[string]bool{}
				}
				out[to][n][id] = true
			}
		}
	}
	return out
}

// TestClusterLoad: three parley serve processes on one 3-master Redis
// Cluster take lines for many rooms through the API and by email, all at
// once, while one of them is killed (SIGKILL) halfway and restarted. Every
// line acknowledged is stored once and emailed to erin once; each digest
// member's digest goes out once though three processes run the digest
// scheduler; the live stream on each process (reconnecting with
// Last-Event-ID across the kill) sees every line. Then one process on one
// redis-server takes the same load: lines/s of both are logged.
// PARLEY_LOAD_FULL=1 posts issue 17's 5,000 lines over 100 rooms.
func TestClusterLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: starts a cluster and four parley processes")
	}
	size := loadSizeFromEnv()
	const procs = 3
	sink := smtppeer.Start(t)
	addrs := redispeer.StartCluster(t)
	cluster := &redispeer.Redis{Kind: "cluster", Addr: addrs[0], URL: "redis+cluster://" + strings.Join(addrs, ","),
		Prefix: "t:load:" + randomHex(t, 4) + ":"}
	secret := randomHex(t, 24)
	sc := setupLoad(t, cluster, secret, size, procs, 3)
	var ps []*parley
	for k := range procs {
		ps = append(ps, startParley(t, cluster, append(faultEnv(t, sink), "PARLEY_SECRET="+secret,
			"PARLEY_INSTANCE=load-"+strconv.Itoa(k)+"-"+randomHex(t, 3))...))
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var ws []*watcher
	for k, p := range ps {
		ws = append(ws, watch(ctx, p.HTTP, sc.apiKey[sc.watchers[k]]))
	}
	waitFor(t, 20*time.Second, "every live stream to open", func() bool {
		for _, w := range ws {
			w.mu.Lock()
			c := w.connects
			w.mu.Unlock()
			if c == 0 {
				return false
			}
		}
		return true
	})

	// Halfway, process 1 is killed; it comes back under its own name.
	victim := ps[1]
	var killOnce sync.Once
	restarted := make(chan time.Duration, 1)
	load := &poster{procs: ps, sc: sc, http: &http.Client{Timeout: 10 * time.Second,
		Transport: &http.Transport{MaxIdleConnsPerHost: 16}}}
	start := time.Now()
	var half time.Duration
	took := load.postAll(t, size.lines, func(acked int64) {
		if acked != int64(size.lines/2) {
			return
		}
		half = time.Since(start)
		killOnce.Do(func() {
			go func() {
				killed := time.Now()
				_ = victim.cmd.Process.Signal(syscall.SIGKILL)
				<-victim.exited
				if err := victim.start(t); err != nil {
					t.Errorf("restart after SIGKILL: %v", err)
				}
				restarted <- time.Since(killed)
			}()
		})
	})
	var down time.Duration
	select {
	case down = <-restarted:
	case <-time.After(30 * time.Second):
		t.Fatal("the killed process did not come back within 30 s")
	}

	// Every line once.
	count, keys := storedLoad(t, sc)
	for i := range size.lines {
		if count[i] != 1 {
			t.Errorf("line %d acknowledged and stored %d times", i, count[i])
		}
	}
	// Every line emailed to erin, once; nobody gets a line under two
	// Message-IDs.
	var mails map[string]map[int]map[string]bool
	mailDeadline := time.Now().Add(90 * time.Second)
	for mails = emailed(sink); len(mails["erin@example.org"]) < size.lines; mails = emailed(sink) {
		if time.Now().After(mailDeadline) {
			var missing []int
			for i := range size.lines {
				if len(mails["erin@example.org"][i]) == 0 && len(missing) < 20 {
					missing = append(missing, i)
				}
			}
			t.Fatalf("after 90 s erin's mail holds %d of the %d lines; the first missing: %v",
				len(mails["erin@example.org"]), size.lines, missing)
		}
		time.Sleep(50 * time.Millisecond)
	}
	emails := 0
	for to, byLine := range mails {
		for n, ids := range byLine {
			emails += len(ids)
			if len(ids) != 1 {
				t.Errorf("line %d reached %s under %d Message-IDs", n, to, len(ids))
			}
		}
	}
	// Each digest once.
	for _, d := range sc.digests {
		n := 0
		for _, m := range sink.Messages() {
			if len(m.To) == 1 && m.To[0] == d+"@example.org" {
				n++
			}
		}
		if n != 1 {
			t.Errorf("%s got %d digests, want 1", d, n)
		}
	}
	// Every live stream saw every line.
	deadline := time.Now().Add(30 * time.Second)
	for {
		missing := 0
		for _, w := range ws {
			missing += len(w.missing(keys))
		}
		if missing == 0 {
			break
		}
		if time.Now().After(deadline) {
			for k, w := range ws {
				m := w.missing(keys)
				w.mu.Lock()
				t.Errorf("live stream on process %d (%d connections): %d of %d lines missing, e.g. %.3q", k, w.connects, len(m), len(keys), m)
				w.mu.Unlock()
			}
			t.FailNow()
		}
		time.Sleep(50 * time.Millisecond)
	}
	rate3 := float64(size.lines) / took.Seconds()
	t.Logf("3 processes on a 3-master cluster: %d lines over %d rooms (API and SMTP, %d at once) acknowledged in %v: %.0f lines/s "+
		"(%.0f lines/s in the first half, before the kill), %d tries; "+
		"process 1 SIGKILLed halfway and serving again %v later; every line stored once, in erin's mail once (%d line-copies in %d emails), "+
		"%d digests once each, every line on all 3 live streams",
		size.lines, size.rooms, loadSenders, took.Round(time.Millisecond), rate3, float64(size.lines/2)/half.Seconds(), load.tries.Load(), down.Round(time.Millisecond),
		emails, len(sink.Messages()), len(sc.digests))
	for _, p := range ps {
		p.stop(t)
	}

	// The same load through one process on one redis-server.
	single := &redispeer.Redis{Kind: "redis-server", Addr: redispeer.StartServer(t), Prefix: "t:load1:"}
	single.URL = "redis://" + single.Addr
	sc1 := setupLoad(t, single, secret, size, 0, 0)
	p1 := startParley(t, single, append(faultEnv(t, sink), "PARLEY_SECRET="+secret)...)
	one := &poster{procs: []*parley{p1}, sc: sc1, http: &http.Client{Timeout: 10 * time.Second,
		Transport: &http.Transport{MaxIdleConnsPerHost: 16}}}
	took1 := one.postAll(t, size.lines, nil)
	count1, _ := storedLoad(t, sc1)
	for i := range size.lines {
		if count1[i] != 1 {
			t.Errorf("one process: line %d stored %d times", i, count1[i])
		}
	}
	rate1 := float64(size.lines) / took1.Seconds()
	t.Logf("1 process on 1 redis-server: the same %d lines in %v: %.0f lines/s (3 processes on the cluster, kill included: %.2fx)",
		size.lines, took1.Round(time.Millisecond), rate1, rate3/rate1)
	p1.stop(t)
}
