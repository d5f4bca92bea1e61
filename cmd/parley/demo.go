package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"

	"parley/inbound"
	"parley/outbound"
	"parley/templates"
	"parley/threads"
)

// Demo timing.
const (
	// demoPause is the pause between scripted lines.
	demoPause = 300 * time.Millisecond
	// demoHeartbeat is how often alice's pretend client says she is there.
	demoHeartbeat = 30 * time.Second
	// demoConsumer names the demo worker in the delivery queue's group.
	demoConsumer = "demo"
	// demoWindow is the demo's email batching window: short, so that the
	// demo shows batching without making anyone wait.
	demoWindow = 2 * time.Second
)

func parseDemo(args []string) (action, error) {
	fs := newFlags("demo")
	dur := fs.Duration("for", 0, "after the walk-through, keep serving this long, then stop (default: until Ctrl-C)")
	if err := parseNoArgs(fs, args); err != nil {
		return nil, err
	}
	if *dur < 0 {
		return nil, usagef("--for %s is negative", *dur)
	}
	return func(ctx context.Context, a *app) error {
		err := runDemo(ctx, a, *dur)
		if err != nil && ctx.Err() != nil {
			return nil // stopped while starting: that is the asked-for end
		}
		return err
	}, nil
}

// demoUser is one seeded person and the presence they start with.
type demoUser struct {
	user   threads.User
	status *threads.Status // nil: no status set by hand
	online bool            // a pretend client sends heartbeats
}

// demoUsers is the cast: one person per routing case.
func demoUsers() []demoUser {
	return []demoUser{
		{user: threads.User{ID: "alice", Name: "Alice Archer", Emails: []string{"alice@example.org"}, TimeZone: "Europe/Berlin"},
			online: true},
		{user: threads.User{ID: "bob", Name: "Bob Ray", Emails: []string{"bob@example.org"}, TimeZone: "Europe/Lisbon"},
			status: &threads.Status{Availability: threads.Away, Text: "at the clinic"}},
		{user: threads.User{ID: "carol", Name: "Carol Diaz", Emails: []string{"carol@example.org"},
			Phone: "+15550002222", PhoneVerified: true, TimeZone: "America/New_York"},
			status: &threads.Status{Availability: threads.Offline, Text: "on the road"}},
		{user: threads.User{ID: "dave", Name: "Dave Kim", Emails: []string{"dave@example.org"}},
			status: &threads.Status{Availability: threads.Busy, Text: "in a workshop"}},
		{user: threads.User{ID: "erin", Name: "Erin Stone", Emails: []string{"erin@example.org"},
			Phone: "+15550005555", PhoneVerified: true},
			status: &threads.Status{Availability: threads.Available}},
	}
}

// demoRooms are the seeded rooms.
func demoRooms() []threads.Room {
	return []threads.Room{
		{ID: "design", Name: "Design", Topic: "the new web site", Kind: threads.Group,
			Members: []string{"alice", "bob", "carol", "dave", "erin"}},
		{ID: "alice-carol", Name: "Alice & Carol", Kind: threads.Direct, Members: []string{"alice", "carol"}},
	}
}

// demoScript is the scripted exchange.
func demoScript() []threads.NewLine {
	return []threads.NewLine{
		{Room: "design", Author: "alice", Origin: threads.FromWeb,
			Text: "Morning all! The new header is on staging, comments welcome."},
		{Room: "alice-carol", Author: "alice", Origin: threads.FromWeb,
			Text: "Carol, could you call the printer before noon?"},
		{Room: "design", Author: "alice", Origin: threads.FromWeb,
			Text: "@dave no rush, this can wait for your digest."},
	}
}

// demo is one run of `parley demo`.
type demo struct {
	st       *threads.Store
	out      io.Writer
	log      *slog.Logger
	embedded bool
	// worker is the delivery worker; lastOutbox the last outbox entry printed.
	worker     *outbound.Worker
	mail       *inbound.Mail
	tmpl       *templates.Set // the texts of parley serve
	lastOutbox string
	dkim       *demoDKIM // signs bob's emailed reply (demo_auth.go)
	// keyFile holds the data key other terminals need (demo_rest.go).
	keyFile string
}

// runDemo seeds, plays the script and then follows the design room and the
// outbox until ctx ends.
// runDemo plays the walk-through in full, however slow the machine, and
// then follows the rooms until ctx ends or, when linger is set, for linger
// more.
func runDemo(ctx context.Context, a *app, linger time.Duration) error {
	cfg := a.cfg
	if cfg.Secret == "" {
		cfg.Secret = randomSecret() // nothing the demo makes outlives it
	}
	cfg.EscalateAfter = demoEscalateAfter // demo_escalate.go
	dropKey, err := demoDataKey(&cfg)     // demo_rest.go
	if err != nil {
		return err
	}
	defer dropKey()
	b, err := openBackend(ctx, cfg, openOptions{AllowEmbedded: true, Log: a.log})
	if err != nil {
		return err
	}
	defer b.Close()
	if err := b.store.Chat.SeedThresholds(ctx); err != nil {
		return err
	}
	if !cfg.Embedded() {
		a.log.Warn("demo on a shared Redis: it adds its people and rooms there, and its worker takes the delivery jobs under the key prefix",
			"redis", b.url, "prefix", cfg.KeyPrefix)
	}
	d := &demo{st: b.store, out: a.out, log: a.log, embedded: cfg.Embedded(), keyFile: cfg.Crypto.DataKeyFile}

	d.printf("parley demo: everything runs in this process; nothing leaves it.\n")
	if d.embedded {
		d.printf("The data lives in memory, at %s, and is gone when the demo ends.\n", b.url)
	}
	if b.dataKey.KeyID != "" {
		d.printf("Line texts, quotes, files and profiles are sealed at rest with AES-256-GCM under data key %s\n"+
			"(PARLEY_DATA_KEY; `parley admin rekey` moves them to a new key).\n", b.dataKey.KeyID)
	}
	if err := d.seed(ctx); err != nil {
		return err
	}
	if err := d.printCast(ctx); err != nil {
		return err
	}
	if err := d.showPeople(ctx); err != nil {
		return err
	}
	cfg.BatchWindow = demoWindow
	cfg.SMSWindow = 0 // each text at once: the demo shows them as they happen

	// Files are kept in a temporary folder unless PARLEY_BLOB_DIR is set (demo_files.go).
	dropFiles, err := demoBlobDir(&cfg)
	if err != nil {
		return err
	}
	defer dropFiles()
	// The page listens first, so that every link in emails and texts is
	// built from the address it listens on.
	pageURL, stopWeb, err := d.startWeb(cfg, quietLog(a.log)) // demo_web.go
	if err != nil {
		return err
	}
	defer stopWeb()
	cfg.PublicURL = pageURL
	dl, err := newDispatcher(cfg, b.store, dispatcherOptions{Consumer: demoConsumer, OutboxOnly: true, Log: quietLog(a.log)})
	if err != nil {
		return err
	}
	d.worker, d.tmpl = dl.worker, dl.tmpl
	d.printf("\nOutbox: the delivery worker runs as in parley serve, but keeps every email and text message\n"+
		"in the outbox instead of sending it; each is printed as \"outbox: ...\". Lines for one member\n"+
		"and room within %s go out as one email (parley serve: PARLEY_BATCH_WINDOW, 2m).\n", demoWindow)

	var wg sync.WaitGroup
	defer wg.Wait()
	bg, stopBg := context.WithCancel(ctx)
	defer stopBg()
	wg.Add(3)
	go func() { defer wg.Done(); _ = dl.run(bg) }()
	go func() { defer wg.Done(); d.followOutbox(bg) }()
	beat := max(min(demoHeartbeat, cfg.IdleAfter/2), 100*time.Millisecond)
	go func() { defer wg.Done(); d.keepOnline(bg, "alice", beat) }()

	// Subscribe before the script so no line posted from elsewhere is lost
	// between the script's end and the live tail.
	sub, err := d.st.Chat.SubscribeRoom(ctx, "design")
	if err != nil {
		return err
	}
	defer sub.Close()

	d.printf("\nThe conversation:\n")
	last, err := d.play(ctx)
	if err != nil {
		return err
	}
	if d.dkim, err = newDemoDKIM(); err != nil { // demo_auth.go
		return err
	}
	d.mail = inbound.NewMail(inbound.Options{Store: b.store, Domain: cfg.Domain, FromLocal: cfg.MailFrom, Templates: d.tmpl, Log: quietLog(a.log),
		SenderAuth: d.dkim.checker()})
	if err := d.replyByEmail(ctx); err != nil && ctx.Err() == nil {
		return err
	}
	if err := d.awayStep(ctx); err != nil && ctx.Err() == nil { // demo_away.go
		return err
	}
	if err := d.replyByText(ctx, cfg.PublicURL); err != nil && ctx.Err() == nil { // demo_sms.go
		return err
	}
	if err := d.escalateStep(ctx); err != nil && ctx.Err() == nil { // demo_escalate.go
		return err
	}
	if err := d.filesAndMeetingStep(ctx, cfg); err != nil && ctx.Err() == nil { // demo_files.go
		return err
	}
	if err := d.phoneStep(ctx); err != nil && ctx.Err() == nil { // demo_phone.go
		return err
	}
	if err := d.showDigestAndTranscript(ctx, dl.digests, cfg.Domain); err != nil && ctx.Err() == nil { // demo_digest.go
		return err
	}
	if err := d.showEncryption(ctx); err != nil && ctx.Err() == nil { // demo_crypto.go
		return err
	}
	if err := d.showWeb(ctx, pageURL); err != nil && ctx.Err() == nil {
		return err
	}
	if err := d.showWebAdmin(ctx, pageURL); err != nil && ctx.Err() == nil { // demo_webadmin.go
		return err
	}
	d.printTry(b.url, cfg.KeyPrefix)
	if linger > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, linger)
		defer cancel()
	}
	d.follow(ctx, sub, last)

	stopBg()
	wg.Wait()
	d.drain()
	d.printf("\nparley demo: stopped.\n")
	return nil
}

// printf writes one piece of output in one call, so that output of the
// demo's goroutines never interleaves within a line.
func (d *demo) printf(format string, args ...any) {
	_, _ = fmt.Fprintf(d.out, format, args...)
}

// seed adds the cast and the rooms. On a shared Redis that already holds
// them (a second demo run) they are kept as they are.
func (d *demo) seed(ctx context.Context) error {
	for _, du := range demoUsers() {
		if _, err := d.st.Directory.AddUser(ctx, du.user); err != nil && !errors.Is(err, threads.ErrExists) {
			return fmt.Errorf("seed user %s: %w", du.user.ID, err)
		}
		if du.status != nil {
			if _, err := d.st.Chat.SetStatus(ctx, du.user.ID, *du.status); err != nil {
				return fmt.Errorf("seed presence of %s: %w", du.user.ID, err)
			}
		}
		if du.online {
			if err := d.st.Chat.Heartbeat(ctx, du.user.ID, threads.Beat{}); err != nil {
				return err
			}
		}
	}
	for _, r := range demoRooms() {
		if _, err := d.st.Chat.CreateRoom(ctx, r); err != nil && !errors.Is(err, threads.ErrExists) {
			return fmt.Errorf("seed room %s: %w", r.ID, err)
		}
	}
	return nil
}

// printCast prints the people with their presence and the rooms.
func (d *demo) printCast(ctx context.Context) error {
	users := demoUsers()
	ids := make([]string, len(users))
	for i, du := range users {
		ids[i] = du.user.ID
	}
	pres, err := d.st.Chat.Presences(ctx, ids)
	if err != nil {
		return err
	}
	var b strings.Builder
	b.WriteString("\nPeople:\n")
	rows := []string{}
	for _, du := range users {
		u, p := du.user, pres[du.user.ID]
		state := string(p.State)
		switch {
		case du.online:
			state += " (a client sends heartbeats)"
		case p.Text() != "":
			state += fmt.Sprintf(" %q", p.Text())
		case p.LastSeen.IsZero():
			state += " (never seen)"
		}
		reach := strings.Join(u.Emails, ", ")
		if u.Phone != "" {
			reach += ", " + u.Phone + " (verified)"
		}
		rows = append(rows, "  "+u.ID+"\t"+u.Name+"\t"+state+"\t"+reach)
	}
	_ = table(&b, rows...)
	b.WriteString("Rooms:\n")
	rows = rows[:0]
	for _, r := range demoRooms() {
		rows = append(rows, "  "+r.ID+"\t"+r.Name+"\t"+string(r.Kind)+"\t"+strings.Join(r.Members, ", "))
	}
	_ = table(&b, rows...)
	d.printf("%s", b.String())
	return nil
}

// play posts the scripted lines, printing how each is routed. It returns
// the id of the last line posted in design.
func (d *demo) play(ctx context.Context) (string, error) {
	last := ""
	for i, n := range demoScript() {
		if i > 0 {
			select {
			case <-ctx.Done():
				return last, ctx.Err()
			case <-time.After(demoPause):
			}
		}
		p, err := d.st.Chat.Post(ctx, n)
		if err != nil {
			return last, fmt.Errorf("post the demo line %d: %w", i+1, err)
		}
		if n.Room == "design" {
			last = p.Line.ID
		}
		via := ""
		if n.Origin == threads.FromEmail || n.Origin == threads.FromSMS {
			via = " (by " + string(n.Origin) + ")"
		}
		d.printf("\n[%s] %s%s: %s\n%s", n.Room, p.Line.Name, via, p.Line.Text, formatRouting(p))
	}
	return last, nil
}

// formatRouting says for one posted line who sees it live, who is emailed,
// who texted and who gets it in the digest, each with the reason.
func formatRouting(p threads.Posted) string {
	if p.Routes == nil {
		return "    routing: not finished yet; parley serve completes it\n"
	}
	by := map[threads.Channel][]string{}
	members := make([]string, 0, len(p.Routes))
	for m := range p.Routes {
		members = append(members, m)
	}
	sort.Strings(members)
	for _, m := range members {
		r := p.Routes[m]
		by[r.Channel] = append(by[r.Channel], fmt.Sprintf("%s (%s)", m, r.Reason))
	}
	var b strings.Builder
	for _, row := range []struct {
		label string
		ch    threads.Channel
	}{
		{"sees it live:", threads.Live},
		{"emailed:", threads.Email},
		{"texted:", threads.SMS},
		{"held for digest:", threads.Hold},
	} {
		who := "nobody"
		if len(by[row.ch]) > 0 {
			who = strings.Join(by[row.ch], ", ")
		}
		fmt.Fprintf(&b, "    %-17s %s\n", row.label, who)
	}
	for _, l := range p.AutoReplies {
		fmt.Fprintf(&b, "    %-17s %s (shown live, never relayed; sent back once to a sender who wrote by email or text)\n",
			"auto-reply:", clean(l.String(), false))
	}
	for _, m := range members {
		if e, ok := p.Escalates[m]; ok {
			fmt.Fprintf(&b, "    %-17s %s to %s at %s unless seen or answered\n", "escalates:", m, channelWord(e.Channel),
				e.At.Local().Format("15:04:05"))
		}
	}
	return b.String()
}

// printTry prints commands to run against the demo from another terminal.
func (d *demo) printTry(url, prefix string) {
	var b strings.Builder
	b.WriteString("\nTry it from another terminal:\n")
	if d.embedded {
		fmt.Fprintf(&b, "  export PARLEY_REDIS_URL=%s\n", url)
	} else {
		fmt.Fprintf(&b, "  (with the PARLEY_REDIS_URL of this demo, %s)\n", url)
	}
	if prefix != "parley:" {
		fmt.Fprintf(&b, "  export PARLEY_KEY_PREFIX=%s\n", prefix)
	}
	if d.keyFile != "" {
		fmt.Fprintf(&b, "  export PARLEY_DATA_KEY_FILE=%s\n", d.keyFile)
	}
	b.WriteString(`  parley post --room design --as bob "Back from the clinic, reading now"
  parley presence set dave available
  parley post --room design --as erin "@dave are you free after lunch?"
  parley lines --room design
  parley presence show carol
  parley people search --interest go --as erin
  parley tail design
  parley queue stats
  parley outbox list
`)
	b.WriteString("\nFollowing design and the outbox (Ctrl-C to stop):\n")
	d.printf("%s", b.String())
}

// follow prints design's new lines until ctx ends, skipping those the
// script already printed.
func (d *demo) follow(ctx context.Context, sub *threads.Subscription, last string) {
	for {
		select {
		case <-ctx.Done():
			return
		case ev, ok := <-sub.C:
			if !ok {
				return
			}
			if ev.Kind != threads.LineEvent || ev.Line == nil || (last != "" && !idAfter(ev.Line.ID, last)) {
				continue
			}
			last = ev.Line.ID
			d.printf("%s", formatLine(*ev.Line))
		}
	}
}

// keepOnline sends a heartbeat for user every interval, as an open client would.
func (d *demo) keepOnline(ctx context.Context, user string, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := d.st.Chat.Heartbeat(ctx, user, threads.Beat{}); err != nil && ctx.Err() == nil {
				d.log.Warn("heartbeat", "member", user, "err", err)
			}
		}
	}
}

// shorten cuts s to at most n characters, ending with "…" when cut.
func shorten(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
