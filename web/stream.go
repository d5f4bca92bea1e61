package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"parley/threads"
)

// The live stream, GET /api/stream: server-sent events for every room of
// the member.
//
//	id: 1764057600000-0      a line; the id is its room stream's id
//	event: line
//	data: {"id": ..., "room": ..., "name": ..., "text": ..., ...}
//
//	event: presence         a member of one of my rooms changed presence
//	data: {"room": ..., "member": {...as in GET /api/rooms/{id}}}
//
//	event: joined / left     I joined or left a room
//	data: {"room": ...}
//
//	event: reset            too much was missed: reload instead
//
// A client that reconnects sends the id of the last line it saw as
// Last-Event-ID (browsers do it by themselves; ?last= works too) and first
// gets every line of its rooms from that line's millisecond on, then the
// live ones. Each room is a stream of its own: two rooms may give lines of
// one millisecond the same id, and lines of different rooms may reach a
// stream slightly out of id order (rooms on different Redis masters, whose
// clocks and connections differ), so the last id seen does not prove that
// every earlier line of another room was seen. The resume therefore
// starts resumeSlack before that line's millisecond: nothing is lost, and
// a client skips a line (room and id) it already has.

// resumeSlack is how far before the last line seen a resume starts; it
// covers lines of other rooms that reached the stream after a later one.
const resumeSlack = 5 * time.Second

// maxResume is the most lines one resume sends per room; a client further
// behind gets "reset" and reloads.
const maxResume = threads.MaxPage

var lineIDPattern = regexp.MustCompile(`^[0-9]{1,20}-[0-9]{1,20}$`)

// sse writes server-sent events.
type sse struct {
	w  http.ResponseWriter
	rc *http.ResponseController
}

// sseFrame is one server-sent event as it goes on the wire.
func sseFrame(id, name string, v any) ([]byte, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var b []byte
	if id != "" {
		b = append(append(append(b, "id: "...), id...), '\n')
	}
	b = append(append(append(b, "event: "...), name...), "\ndata: "...)
	b = append(append(b, data...), "\n\n"...)
	return b, nil
}

func (s sse) event(id, name string, v any) error {
	frame, err := sseFrame(id, name, v)
	if err != nil {
		return err
	}
	return s.write(frame)
}

// write sends a frame made by sseFrame. The frame may be shared with
// other streams: it is only read.
func (s sse) write(frame []byte) error {
	if _, err := s.w.Write(frame); err != nil {
		return err
	}
	return s.rc.Flush()
}

func (s sse) comment(text string) error {
	if _, err := fmt.Fprintf(s.w, ": %s\n\n", text); err != nil {
		return err
	}
	return s.rc.Flush()
}

// lineFrames encodes each live line once for every stream it goes to: the
// hub hands one *threads.Line to all the streams that follow its room, and
// the frame of the latest is kept here. A stream that finds another line
// (two lines crossing) encodes its own; nothing is wrong, only slower.
type lineFrames struct {
	last atomic.Pointer[lineFrame]
}

type lineFrame struct {
	line  *threads.Line
	frame []byte
}

// frame returns the line event of l.
func (c *lineFrames) frame(l *threads.Line) ([]byte, error) {
	if f := c.last.Load(); f != nil && f.line == l {
		return f.frame, nil
	}
	frame, err := sseFrame(l.ID, "line", viewLine(*l))
	if err != nil {
		return nil, err
	}
	c.last.Store(&lineFrame{line: l, frame: frame})
	return frame, nil
}

// lineJSON is a line as the API and the live stream show it to members:
// the line without its source id (an outside id: a member's email
// Message-ID, a Twilio MessageSid), with the link of a meeting line.
type lineJSON struct {
	threads.Line
	// SourceID hides the line's own: being shallower, it is the one
	// encoded, and it is always empty.
	SourceID string `json:"source_id,omitempty"`
	// Meeting is the link a meeting line invites to join.
	Meeting string `json:"meeting,omitempty"`
}

// viewLine is l as members see it.
func viewLine(l threads.Line) lineJSON { return lineJSON{Line: l, Meeting: l.Meeting()} }

// viewLines is viewLine for each of ls.
func viewLines(ls []threads.Line) []lineJSON {
	out := make([]lineJSON, len(ls))
	for i, l := range ls {
		out[i] = viewLine(l)
	}
	return out
}

// presenceEvent is the data of a presence event.
type presenceEvent struct {
	Room   string     `json:"room"`
	Member memberView `json:"member"`
}

// liveStream is one open live stream: what its loop needs. The set-up
// (openStream) is kept apart, so that the goroutine that waits for events,
// one per open page, parks on a shallow stack that the runtime can shrink.
type liveStream struct {
	h       *handler
	me      *who
	out     sse
	sub     *threads.Subscription
	release func()
	// mine: the member's rooms; sent: room -> id of the last line sent.
	mine map[string]bool
	sent map[string]string
}

// stream serves the live stream until the client goes, the server stops,
// or the member's session or token ends (checked at every heartbeat).
func (h *handler) stream(w http.ResponseWriter, r *http.Request, me *who) error {
	ls, follow, err := h.openStream(w, r, me)
	if ls != nil {
		defer ls.close()
	}
	if err != nil || !follow {
		return err
	}
	ls.follow(r.Context())
	return nil
}

// openStream subscribes, answers with the stream and sends the backlog
// the client missed. It returns the stream to follow (nil when it could not
// be opened, with the error to answer), and whether to follow it: a stream
// that already ended (a client gone, a reset sent) is only closed.
func (h *handler) openStream(w http.ResponseWriter, r *http.Request, me *who) (*liveStream, bool, error) {
	last := r.Header.Get("Last-Event-ID")
	if last == "" {
		last = r.URL.Query().Get("last")
	}
	if last != "" && !lineIDPattern.MatchString(last) {
		return nil, false, errf(http.StatusBadRequest, "invalid", "Last-Event-ID %q is not a line id like 1764057600000-0", last)
	}
	release, err := h.streams.take(me.user.ID, clientKey(r), h.opts.MaxStreamsPerMember, h.opts.MaxStreamsPerIP)
	if err != nil {
		return nil, false, err
	}
	ls := &liveStream{h: h, me: me, release: release, sent: map[string]string{}}
	ctx := r.Context()
	// Subscribe first: a line posted while the backlog is read comes live,
	// and is skipped there if the backlog had it.
	ls.sub, err = h.store.Chat.SubscribeUser(ctx, me.user.ID)
	if err != nil {
		return ls, false, err
	}
	rooms, err := h.store.Chat.RoomsOf(ctx, me.user.ID)
	if err != nil {
		return ls, false, err
	}
	ls.mine = make(map[string]bool, len(rooms))
	for _, rm := range rooms {
		ls.mine[rm.ID] = true
	}
	var backlog []threads.Line
	reset := false
	if last != "" {
		for _, rm := range rooms {
			lines, err := h.store.Chat.Lines(ctx, rm.ID, threads.Range{After: resumeAfter(last), Limit: maxResume})
			if err != nil {
				return ls, false, err
			}
			if len(lines) == maxResume {
				reset = true
			}
			backlog = append(backlog, lines...)
		}
		sort.SliceStable(backlog, func(i, j int) bool { return idLess(backlog[i].ID, backlog[j].ID) })
	}

	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	ls.out = sse{w: w, rc: http.NewResponseController(w)}
	// A stream outlives the server's read and write deadlines: lift them
	// for this connection (the heartbeat notices a client that is gone).
	_ = ls.out.rc.SetReadDeadline(time.Time{})
	_ = ls.out.rc.SetWriteDeadline(time.Time{})
	if err := ls.out.comment("parley live stream"); err != nil {
		return ls, false, nil
	}
	if reset {
		_ = ls.out.event("", "reset", map[string]string{"reason": "more than " + strconv.Itoa(maxResume) + " lines missed in a room; reload"})
		return ls, false, nil
	}
	for _, l := range backlog {
		l.Quote = ""
		if err := ls.out.event(l.ID, "line", viewLine(l)); err != nil {
			return ls, false, nil
		}
		ls.sent[l.Room] = l.ID
	}
	h.beat(ctx, me)
	return ls, true, nil
}

// close ends the subscription and frees the stream's place under the caps.
func (ls *liveStream) close() {
	if ls.sub != nil {
		_ = ls.sub.Close()
	}
	ls.release()
}

// follow relays live events and heartbeats until the client goes, the
// server stops or the credential ends.
func (ls *liveStream) follow(ctx context.Context) {
	h := ls.h
	tick := time.NewTicker(h.opts.Heartbeat)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-h.opts.Stop:
			return
		case <-tick.C:
			if !h.stillValid(ctx, ls.me) {
				_ = ls.out.event("", "reset", map[string]string{"reason": "signed out"})
				return
			}
			h.beat(ctx, ls.me)
			if err := ls.out.comment("heartbeat"); err != nil {
				return
			}
		case ev, ok := <-ls.sub.C:
			if !ok {
				return
			}
			if err := ls.relay(ctx, ev); err != nil {
				return
			}
		}
	}
}

// relay sends one live event, if it is for one of the member's rooms and
// not already sent.
func (ls *liveStream) relay(ctx context.Context, ev *threads.Event) error {
	switch ev.Kind {
	case threads.JoinedEvent:
		ls.mine[ev.Room] = true
		return ls.out.event("", "joined", map[string]string{"room": ev.Room})
	case threads.LeftEvent:
		delete(ls.mine, ev.Room)
		return ls.out.event("", "left", map[string]string{"room": ev.Room})
	case threads.LineEvent:
		if !ls.mine[ev.Room] || ev.Line == nil || (ls.sent[ev.Room] != "" && !idLess(ls.sent[ev.Room], ev.Line.ID)) {
			return nil
		}
		ls.sent[ev.Room] = ev.Line.ID
		frame, err := ls.h.lines.frame(ev.Line)
		if err != nil {
			return err
		}
		return ls.out.write(frame)
	case threads.PresenceEvent:
		if !ls.mine[ev.Room] || ev.Presence == nil {
			return nil
		}
		_, reach, err := ls.h.store.Chat.Reach(ctx, ev.Room)
		if err != nil {
			return nil // best effort, like every live event
		}
		mr, ok := reach[ev.Presence.User]
		if !ok {
			return nil
		}
		return ls.out.event("", "presence", presenceEvent{Room: ev.Room, Member: memberFrom(mr)})
	}
	return nil
}

// beat records that the member has a live page open: reachable live, but
// not online unless the page reports activity (POST /api/me/heartbeat).
func (h *handler) beat(ctx context.Context, me *who) {
	if err := h.store.Chat.Heartbeat(ctx, me.user.ID, threads.Beat{Activity: threads.Connected}); err != nil && ctx.Err() == nil {
		h.log.Warn("heartbeat from the live stream", "member", me.user.ID, "err", err)
	}
}

// stillValid checks that the credential of a long request still works:
// the session not ended, the token not revoked, the member not disabled.
// A Redis hiccup keeps the stream going.
func (h *handler) stillValid(ctx context.Context, me *who) bool {
	u, err := h.store.Directory.User(ctx, me.user.ID)
	if err != nil {
		return !errors.Is(err, threads.ErrNotFound)
	}
	if u.Disabled {
		return false
	}
	switch {
	case me.session != nil:
		se, err := h.store.Auth.Session(ctx, me.sessionTok)
		return !errors.Is(err, threads.ErrBadCredential) && (err != nil || u.Honours(se.Gen))
	case me.token != nil && !u.Honours(me.token.Gen):
		return false
	case me.token != nil:
		list, err := h.store.Auth.APITokens(ctx, me.user.ID)
		return err != nil || slices.ContainsFunc(list, func(t threads.APIToken) bool { return t.ID == me.token.ID })
	}
	return true
}

// resumeAfter is the exclusive bound that starts a resume resumeSlack
// before the millisecond of line id last (see above); "" when that is the
// start.
func resumeAfter(last string) string {
	ms, _ := splitID(last)
	slack := uint64(resumeSlack / time.Millisecond)
	if ms <= slack {
		return ""
	}
	return strconv.FormatUint(ms-slack-1, 10) + "-" + strconv.FormatUint(math.MaxUint64, 10)
}

// idLess orders two stream ids.
func idLess(a, b string) bool {
	am, as := splitID(a)
	bm, bs := splitID(b)
	if am != bm {
		return am < bm
	}
	return as < bs
}

func splitID(id string) (uint64, uint64) {
	ms, seq, _ := strings.Cut(id, "-")
	m, _ := strconv.ParseUint(ms, 10, 64)
	s, _ := strconv.ParseUint(seq, 10, 64)
	return m, s
}
