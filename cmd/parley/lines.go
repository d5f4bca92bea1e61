package main

import (
	"context"
	"fmt"
	"io"
	"slices"
	"sort"
	"strconv"
	"strings"

	"parley/threads"
)

// tailHistory is how many lines tail prints before following.
const tailHistory = 20

func lineCommands() []command {
	return []command{
		{path: "post", args: "--room ROOM --as USER [--json] TEXT...",
			summary: "post a line (origin api); prints its id and how it reaches each other member",
			mode:    sharedStore, parse: parsePost},
		{path: "lines", args: "--room ROOM [--after ID] [--before ID] [--limit N] [--newest] [--json]",
			summary: "print a room's lines, oldest first (--newest: the newest, newest first)",
			mode:    sharedStore, parse: parseLines},
		{path: "delivery", args: "--room ROOM [--json] LINE",
			summary: "how a line that needed its members went out to each (by email 10:02, by text 10:32) and pending escalations",
			mode:    sharedStore, parse: parseDelivery},
		{path: "tail", args: "ROOM", summary: "print a room's last 20 lines, then new lines as they come, until Ctrl-C",
			mode: sharedStore, parse: parseTail},
	}
}

func parsePost(args []string) (action, error) {
	fs := newFlags("post")
	room := fs.String("room", "", "room id")
	as := fs.String("as", "", "author's user id")
	asJSON := fs.Bool("json", false, "print JSON")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return nil, err
	}
	if err := need("room", *room, "as", *as); err != nil {
		return nil, err
	}
	text := strings.Join(pos, " ")
	if strings.TrimSpace(text) == "" {
		return nil, usagef("missing TEXT")
	}
	if err := validID("room", *room); err != nil {
		return nil, err
	}
	if err := validID("user", *as); err != nil {
		return nil, err
	}
	return func(ctx context.Context, a *app) error {
		p, err := a.store.Chat.Post(ctx, threads.NewLine{Room: *room, Author: *as, Text: text, Origin: threads.FromAPI})
		if err != nil {
			return err
		}
		if *asJSON {
			return writeJSON(a.out, p)
		}
		return printPosted(a.out, p)
	}, nil
}

// printPosted prints the line id, then "member: channel (reason)" for each
// other member, ordered by member id, then the auto-replies the line drew
// and any note for the author.
func printPosted(w io.Writer, p threads.Posted) error {
	var b strings.Builder
	b.WriteString(p.Line.ID + "\n")
	switch {
	case p.Duplicate:
		b.WriteString("(a line with the same source id was stored before; nothing new was routed)\n")
	case p.Routes == nil:
		b.WriteString("(stored; routing did not finish and will be completed by parley serve)\n")
	}
	members := make([]string, 0, len(p.Routes))
	for m := range p.Routes {
		members = append(members, m)
	}
	sort.Strings(members)
	for _, m := range members {
		d := p.Routes[m]
		fmt.Fprintf(&b, "%s: %s (%s)%s\n", m, d.Channel, d.Reason, escalatesText(p.Escalates, m))
	}
	for _, l := range p.AutoReplies {
		fmt.Fprintf(&b, "auto-reply %s  %s\n", l.ID, clean(l.String(), false))
	}
	if p.Note != "" {
		fmt.Fprintf(&b, "note: %s\n", p.Note)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func parseLines(args []string) (action, error) {
	fs := newFlags("lines")
	room := fs.String("room", "", "room id")
	var r threads.Range
	fs.StringVar(&r.After, "after", "", "only lines after this id")
	fs.StringVar(&r.Before, "before", "", "only lines before this id")
	fs.IntVar(&r.Limit, "limit", 100, fmt.Sprintf("at most this many lines (up to %d)", threads.MaxPage))
	fs.BoolVar(&r.Newest, "newest", false, "the newest lines, newest first")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parseNoArgs(fs, args); err != nil {
		return nil, err
	}
	if err := need("room", *room); err != nil {
		return nil, err
	}
	if err := validID("room", *room); err != nil {
		return nil, err
	}
	if r.Limit < 1 || r.Limit > threads.MaxPage {
		return nil, usagef("--limit %d is not between 1 and %d", r.Limit, threads.MaxPage)
	}
	return func(ctx context.Context, a *app) error {
		lines, err := a.store.Chat.Lines(ctx, *room, r)
		if err != nil {
			return err
		}
		if *asJSON {
			return writeJSON(a.out, lines)
		}
		var b strings.Builder
		for _, l := range lines {
			b.WriteString(formatLine(l))
		}
		_, err = io.WriteString(a.out, b.String())
		return err
	}, nil
}

func parseTail(args []string) (action, error) {
	fs := newFlags("tail")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return nil, err
	}
	room, err := oneID(pos, "ROOM", "room")
	if err != nil {
		return nil, err
	}
	return func(ctx context.Context, a *app) error {
		return tail(ctx, a.store, a.out, room, tailHistory)
	}, nil
}

// tail prints the last n lines of room and then follows it until ctx ends.
// It subscribes before reading the history, so no line falls between the
// two, and skips live lines it already printed from the history.
func tail(ctx context.Context, st *threads.Store, w io.Writer, room string, n int) error {
	sub, err := st.Chat.SubscribeRoom(ctx, room)
	if err != nil {
		return err
	}
	defer sub.Close()
	lines, err := st.Chat.Lines(ctx, room, threads.Range{Limit: n, Newest: true})
	if err != nil {
		return err
	}
	slices.Reverse(lines)
	last := ""
	var b strings.Builder
	for _, l := range lines {
		b.WriteString(formatLine(l))
		last = l.ID
	}
	if _, err := io.WriteString(w, b.String()); err != nil {
		return err
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev, ok := <-sub.C:
			if !ok {
				if ctx.Err() != nil {
					return nil
				}
				return fmt.Errorf("tail %s: the live stream ended", room)
			}
			if ev.Kind != threads.LineEvent || ev.Line == nil || ev.Room != room {
				continue
			}
			if last != "" && !idAfter(ev.Line.ID, last) {
				continue
			}
			if _, err := io.WriteString(w, formatLine(*ev.Line)); err != nil {
				return err
			}
			last = ev.Line.ID
		}
	}
}

// idAfter reports whether stream id a comes after b ("ms-seq" ids).
func idAfter(a, b string) bool {
	am, as := splitID(a)
	bm, bs := splitID(b)
	if am != bm {
		return am > bm
	}
	return as > bs
}

func splitID(id string) (ms, seq uint64) {
	m, s, _ := strings.Cut(id, "-")
	ms, _ = strconv.ParseUint(m, 10, 64)
	seq, _ = strconv.ParseUint(s, 10, 64)
	return ms, seq
}
