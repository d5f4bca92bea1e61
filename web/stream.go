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
// live ones. Each room is a stream of its own, and two rooms may give lines
// of one millisecond the same id, so the resume starts at the millisecond,
// not after the id: nothing is lost, and a client skips a line (room and
// id) it already has.

// maxResume is the most lines one resume sends per room; a client further
// behind gets "reset" and reloads.
const maxResume = threads.MaxPage

var lineIDPattern = regexp.MustCompile(`^[0-9]{1,20}-[0-9]{1,20}$`)

// sse writes server-sent events.
type sse struct {
	w  http.ResponseWriter
	rc *http.ResponseController
}

func (s sse) event(id, name string, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	var b strings.Builder
	if id != "" {
		b.WriteString("id: " + id + "\n")
	}
	b.WriteString("event: " + name + "\ndata: ")
	b.Write(data)
	b.WriteString("\n\n")
	if _, err := s.w.Write([]byte(b.String())); err != nil {
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

// presenceEvent is the data of a presence event.
type presenceEvent struct {
	Room   string     `json:"room"`
	Member memberView `json:"member"`
}

// stream serves the live stream until the client goes, the server stops,
// or the member's session or token ends (checked at every heartbeat).
func (h *handler) stream(w http.ResponseWriter, r *http.Request, me *who) error {
	last := r.Header.Get("Last-Event-ID")
	if last == "" {
		last = r.URL.Query().Get("last")
	}
	if last != "" && !lineIDPattern.MatchString(last) {
		return errf(http.StatusBadRequest, "invalid", "Last-Event-ID %q is not a line id like 1764057600000-0", last)
	}
	release, err := h.streams.take(me.user.ID, clientKey(r), h.opts.MaxStreamsPerMember, h.opts.MaxStreamsPerIP)
	if err != nil {
		return err
	}
	defer release()
	ctx := r.Context()
	// Subscribe first: a line posted while the backlog is read comes live,
	// and is skipped there if the backlog had it.
	sub, err := h.store.Chat.SubscribeUser(ctx, me.user.ID)
	if err != nil {
		return err
	}
	defer sub.Close()
	rooms, err := h.store.Chat.RoomsOf(ctx, me.user.ID)
	if err != nil {
		return err
	}
	mine := make(map[string]bool, len(rooms))
	for _, rm := range rooms {
		mine[rm.ID] = true
	}
	var backlog []threads.Line
	sent := map[string]string{} // room -> id of the last line sent
	reset := false
	if last != "" {
		for _, rm := range rooms {
			lines, err := h.store.Chat.Lines(ctx, rm.ID, threads.Range{After: resumeAfter(last), Limit: maxResume})
			if err != nil {
				return err
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
	out := sse{w: w, rc: http.NewResponseController(w)}
	// A stream outlives the server's read and write deadlines: lift them
	// for this connection (the heartbeat notices a client that is gone).
	_ = out.rc.SetReadDeadline(time.Time{})
	_ = out.rc.SetWriteDeadline(time.Time{})
	if err := out.comment("parley live stream"); err != nil {
		return nil
	}
	if reset {
		_ = out.event("", "reset", map[string]string{"reason": "more than " + strconv.Itoa(maxResume) + " lines missed in a room; reload"})
		return nil
	}
	for _, l := range backlog {
		l.Quote = ""
		if err := out.event(l.ID, "line", l); err != nil {
			return nil
		}
		sent[l.Room] = l.ID
	}
	h.beat(ctx, me)
	tick := time.NewTicker(h.opts.Heartbeat)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-h.opts.Stop:
			return nil
		case <-tick.C:
			if !h.stillValid(ctx, me) {
				_ = out.event("", "reset", map[string]string{"reason": "signed out"})
				return nil
			}
			h.beat(ctx, me)
			if err := out.comment("heartbeat"); err != nil {
				return nil
			}
		case ev, ok := <-sub.C:
			if !ok {
				return nil
			}
			if err := h.relay(ctx, out, ev, mine, sent); err != nil {
				return nil
			}
		}
	}
}

// relay sends one live event, if it is for one of the member's rooms and
// not already sent.
func (h *handler) relay(ctx context.Context, out sse, ev threads.Event, mine map[string]bool, sent map[string]string) error {
	switch ev.Kind {
	case threads.JoinedEvent:
		mine[ev.Room] = true
		return out.event("", "joined", map[string]string{"room": ev.Room})
	case threads.LeftEvent:
		delete(mine, ev.Room)
		return out.event("", "left", map[string]string{"room": ev.Room})
	case threads.LineEvent:
		if !mine[ev.Room] || ev.Line == nil || (sent[ev.Room] != "" && !idLess(sent[ev.Room], ev.Line.ID)) {
			return nil
		}
		sent[ev.Room] = ev.Line.ID
		return out.event(ev.Line.ID, "line", ev.Line)
	case threads.PresenceEvent:
		if !mine[ev.Room] || ev.Presence == nil {
			return nil
		}
		_, reach, err := h.store.Chat.Reach(ctx, ev.Room)
		if err != nil {
			return nil // best effort, like every live event
		}
		mr, ok := reach[ev.Presence.User]
		if !ok {
			return nil
		}
		return out.event("", "presence", presenceEvent{Room: ev.Room, Member: memberFrom(mr)})
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

// idLess orders two stream ids.
// resumeAfter is the exclusive bound that starts a resume at the
// millisecond of line id last (see above); "" when that is the start.
func resumeAfter(last string) string {
	ms, _ := splitID(last)
	if ms == 0 {
		return ""
	}
	return strconv.FormatUint(ms-1, 10) + "-" + strconv.FormatUint(math.MaxUint64, 10)
}

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
