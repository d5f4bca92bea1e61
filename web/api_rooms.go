package web

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"parley/threads"
)

// maxJSONBytes caps a JSON request body (a line is at most 16 KB of text).
const maxJSONBytes = 64 << 10

// apiRoutes mounts the JSON API.
func (h *handler) apiRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /api/rooms", h.api(h.listRooms))
	mux.HandleFunc("POST /api/rooms", h.api(h.createRoom))
	mux.HandleFunc("GET /api/rooms/{id}", h.api(h.showRoom))
	mux.HandleFunc("POST /api/rooms/{id}/members", h.api(h.addMember))
	mux.HandleFunc("DELETE /api/rooms/{id}/members", h.api(h.removeMember))
	mux.HandleFunc("DELETE /api/rooms/{id}/members/{user}", h.api(h.removeMember))
	mux.HandleFunc("GET /api/rooms/{id}/lines", h.api(h.listLines))
	mux.HandleFunc("POST /api/rooms/{id}/lines", h.api(h.postLine))
	mux.HandleFunc("POST /api/rooms/{id}/files", h.api(h.uploadFile))
	mux.HandleFunc("GET /api/rooms/{id}/files/{file}", h.api(h.downloadFile))
	mux.HandleFunc("POST /api/rooms/{id}/read", h.api(h.markRead))
	mux.HandleFunc("GET /api/rooms/{id}/lines/{line}/delivery", h.api(h.lineDelivery)) // api_delivery.go
	mux.HandleFunc("GET /api/me", h.api(h.showMe))
	mux.HandleFunc("PUT /api/me", h.api(h.updateMe))
	mux.HandleFunc("PUT /api/me/status", h.api(h.setStatus))
	mux.HandleFunc("POST /api/me/heartbeat", h.api(h.heartbeat))
	mux.HandleFunc("POST /api/me/phone/verify", h.api(h.sendPhoneCode)) // phonecode.go
	mux.HandleFunc("POST /api/me/phone/confirm", h.api(h.confirmPhone))
	mux.HandleFunc("GET /api/tokens", h.api(h.listTokens))
	mux.HandleFunc("POST /api/tokens", h.api(h.createToken))
	mux.HandleFunc("DELETE /api/tokens/{id}", h.api(h.revokeToken))
	mux.HandleFunc("GET /api/stream", h.api(h.stream))
}

// decodeJSON reads a JSON request body into v: at most maxJSONBytes, one
// value, no unknown fields.
func decodeJSON(w http.ResponseWriter, r *http.Request, v any) error {
	if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct != "application/json" {
		return errf(http.StatusUnsupportedMediaType, "content_type", "send the body as Content-Type: application/json")
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxJSONBytes)
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return err
		}
		return errf(http.StatusBadRequest, "bad_json", "the body is not the JSON expected: %v", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errf(http.StatusBadRequest, "bad_json", "the body holds more than one JSON value")
	}
	return nil
}

// memberRoom returns room id when me is a member. A room that does not
// exist and a room of others get the same answer, so no one learns which
// rooms exist.
func (h *handler) memberRoom(ctx context.Context, me *who, id string) (threads.Room, error) {
	if threads.ValidID("room", id) != nil {
		return threads.Room{}, errNoRoom
	}
	r, err := h.store.Chat.Room(ctx, id)
	if errors.Is(err, threads.ErrNotFound) {
		return threads.Room{}, errNoRoom
	}
	if err != nil {
		return threads.Room{}, err
	}
	if !slices.Contains(r.Members, me.user.ID) {
		return threads.Room{}, errNoRoom
	}
	return r, nil
}

func (h *handler) listRooms(w http.ResponseWriter, r *http.Request, me *who) error {
	rooms, err := h.store.Chat.RoomsOf(r.Context(), me.user.ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"rooms": rooms})
	return nil
}

// newRoom is the body of POST /api/rooms.
type newRoom struct {
	ID      string           `json:"id"`
	Name    string           `json:"name"`
	Topic   string           `json:"topic"`
	Kind    threads.RoomKind `json:"kind"`
	Members []string         `json:"members"`
}

// createRoom makes a room with the caller in it as its owner.
func (h *handler) createRoom(w http.ResponseWriter, r *http.Request, me *who) error {
	var in newRoom
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	if in.ID == "" {
		in.ID = roomID(in.Name)
	}
	room, err := h.store.Chat.CreateRoom(r.Context(), threads.Room{ID: in.ID, Name: in.Name, Topic: in.Topic, Kind: in.Kind,
		Members: append(in.Members, me.user.ID), Owner: me.user.ID})
	if err != nil {
		return err
	}
	h.log.Info("room created", "room", room.ID, "member", me.user.ID)
	writeJSON(w, http.StatusCreated, room)
	return nil
}

// roomID makes an id from a room's name: its letters and digits, and a
// random tail so that two rooms of one name do not collide.
func roomID(name string) string {
	var b strings.Builder
	dash := false
	for _, c := range strings.ToLower(name) {
		switch {
		case c < 128 && (unicode.IsLetter(c) || unicode.IsDigit(c)):
			b.WriteRune(c)
			dash = false
		case !dash && b.Len() > 0:
			b.WriteByte('-')
			dash = true
		}
		if b.Len() >= 40 {
			break
		}
	}
	tail := make([]byte, 3)
	_, _ = rand.Read(tail)
	slug := strings.Trim(b.String(), "-")
	if slug == "" {
		slug = "room"
	}
	return slug + "-" + hex.EncodeToString(tail)
}

// memberView is one member of a room as the API shows them.
type memberView struct {
	ID       string           `json:"id"`
	Name     string           `json:"name"`
	State    threads.State    `json:"state"`
	Status   *threads.Status  `json:"status,omitempty"`
	LastSeen *time.Time       `json:"last_seen,omitempty"`
	Reach    threads.Decision `json:"reach"`
	// Idle: away only because no client of theirs was used lately.
	Idle bool `json:"idle,omitempty"`
	// Connected: a page of theirs is open, used or not.
	Connected bool   `json:"connected,omitempty"`
	Title     string `json:"title,omitempty"`
	Team      string `json:"team,omitempty"`
	// Escalates: an unseen line to the member goes out again then.
	Escalates *threads.Escalation `json:"escalates,omitempty"`
	// Unreachable: no channel reaches the member (a bouncing address and
	// no working phone); senders see it beside the name.
	Unreachable bool `json:"unreachable,omitempty"`
}

// roomView is a room with its members' presence and how each is reached.
type roomView struct {
	ID      string           `json:"id"`
	Name    string           `json:"name"`
	Topic   string           `json:"topic,omitempty"`
	Kind    threads.RoomKind `json:"kind"`
	Owner   string           `json:"owner,omitempty"`
	Created time.Time        `json:"created"`
	// Confidential: lines go by email only encrypted, to members with a
	// key; others get a notice with a link (issue 19).
	Confidential bool         `json:"confidential,omitempty"`
	Members      []memberView `json:"members"`
}

// roomDetail reads a room with its members' presence and reach.
func (h *handler) roomDetail(ctx context.Context, id string) (roomView, error) {
	room, reach, err := h.store.Chat.Reach(ctx, id)
	if err != nil {
		return roomView{}, err
	}
	v := roomView{ID: room.ID, Name: room.Name, Topic: room.Topic, Kind: room.Kind, Owner: room.Owner, Created: room.Created,
		Confidential: room.Confidential, Members: make([]memberView, 0, len(room.Members))}
	for _, m := range room.Members {
		mr, ok := reach[m]
		if !ok {
			continue
		}
		v.Members = append(v.Members, memberFrom(mr))
	}
	return v, nil
}

func memberFrom(mr threads.MemberReach) memberView {
	mv := memberView{ID: mr.User.ID, Name: mr.User.Name, State: mr.Presence.State, Status: mr.Presence.Status,
		Reach: mr.Reach, Idle: mr.Presence.Idle, Connected: mr.Presence.Connected,
		Title: mr.User.Profile.Title, Team: mr.User.Profile.Team, Escalates: mr.Escalates,
		Unreachable: mr.User.Unreachable()}
	if !mr.Presence.LastSeen.IsZero() {
		t := mr.Presence.LastSeen
		mv.LastSeen = &t
	}
	return mv
}

// showRoom answers a member (or an admin) with the room, its members,
// their availability and how each away member is being reached.
func (h *handler) showRoom(w http.ResponseWriter, r *http.Request, me *who) error {
	id := r.PathValue("id")
	if me.user.Role != threads.RoleAdmin {
		if _, err := h.memberRoom(r.Context(), me, id); err != nil {
			return err
		}
	} else if threads.ValidID("room", id) != nil {
		return errNoRoom
	}
	v, err := h.roomDetail(r.Context(), id)
	if errors.Is(err, threads.ErrNotFound) {
		return errNoRoom
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

// manageRoom returns the room when me may change its members: its owner
// or an admin. A member who is neither gets 403; anyone else 404.
func (h *handler) manageRoom(ctx context.Context, me *who, id string) (threads.Room, error) {
	if me.user.Role == threads.RoleAdmin {
		if threads.ValidID("room", id) != nil {
			return threads.Room{}, errNoRoom
		}
		r, err := h.store.Chat.Room(ctx, id)
		if errors.Is(err, threads.ErrNotFound) {
			return threads.Room{}, errNoRoom
		}
		return r, err
	}
	r, err := h.memberRoom(ctx, me, id)
	if err != nil {
		return r, err
	}
	if r.Owner != me.user.ID {
		return r, errf(http.StatusForbidden, "forbidden", "only the room's owner or an admin changes its members")
	}
	return r, nil
}

// memberBody is the body of POST (and DELETE) /api/rooms/{id}/members.
type memberBody struct {
	User string `json:"user"`
}

func (h *handler) addMember(w http.ResponseWriter, r *http.Request, me *who) error {
	room, err := h.manageRoom(r.Context(), me, r.PathValue("id"))
	if err != nil {
		return err
	}
	var in memberBody
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	if err := threads.ValidID("user", in.User); err != nil {
		return err
	}
	if err := h.store.Chat.AddMember(r.Context(), room.ID, in.User); err != nil {
		return err
	}
	h.log.Info("member added", "room", room.ID, "member", in.User, "by", me.user.ID)
	if byAdmin(me, room) {
		if err := h.adminAddedMember(r.Context(), me, room, in.User); err != nil { // adminjoin.go
			return err
		}
	}
	room, err = h.store.Chat.Room(r.Context(), room.ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, room)
	return nil
}

// removeMember takes a member out of a room: the owner or an admin may
// remove anyone, and every member may leave.
func (h *handler) removeMember(w http.ResponseWriter, r *http.Request, me *who) error {
	user := r.PathValue("user")
	if user == "" {
		var in memberBody
		if err := decodeJSON(w, r, &in); err != nil {
			return err
		}
		user = in.User
	}
	if err := threads.ValidID("user", user); err != nil {
		return err
	}
	var room threads.Room
	var err error
	if user == me.user.ID {
		room, err = h.memberRoom(r.Context(), me, r.PathValue("id"))
	} else {
		room, err = h.manageRoom(r.Context(), me, r.PathValue("id"))
	}
	if err != nil {
		return err
	}
	if err := h.store.Chat.RemoveMember(r.Context(), room.ID, user); err != nil {
		return err
	}
	h.log.Info("member removed", "room", room.ID, "member", user, "by", me.user.ID)
	if user != me.user.ID && byAdmin(me, room) {
		if err := h.adminRemovedMember(r.Context(), me, room, user); err != nil { // adminjoin.go
			return err
		}
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// lineRange reads before, after and limit from a query.
func lineRange(q map[string][]string) (threads.Range, error) {
	get := func(k string) string {
		if v := q[k]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	rg := threads.Range{Before: get("before"), After: get("after"), Limit: 50}
	if s := get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > threads.MaxPage {
			return rg, errf(http.StatusBadRequest, "invalid", "limit %q is not a number from 1 to %d", s, threads.MaxPage)
		}
		rg.Limit = n
	}
	// Paging backwards (or the first page) keeps the newest lines.
	rg.Newest = rg.After == ""
	return rg, nil
}

// listLines pages through a room's lines, oldest first in each page:
// ?before=ID pages backwards, ?after=ID forwards; neither gives the newest.
func (h *handler) listLines(w http.ResponseWriter, r *http.Request, me *who) error {
	room, err := h.memberRoom(r.Context(), me, r.PathValue("id"))
	if err != nil {
		return err
	}
	rg, err := lineRange(r.URL.Query())
	if err != nil {
		return err
	}
	lines, err := h.store.Chat.Lines(r.Context(), room.ID, rg)
	if err != nil {
		return err
	}
	if rg.Newest {
		slices.Reverse(lines)
	}
	writeJSON(w, http.StatusOK, map[string]any{"lines": viewLines(lines), "more": len(lines) == rg.Limit})
	return nil
}

// lineBody is the body of POST /api/rooms/{id}/lines.
type lineBody struct {
	Text string `json:"text"`
}

// maxIdempotencyKey is the longest Idempotency-Key header taken.
const maxIdempotencyKey = 200

// postLine posts a line as the caller. With an Idempotency-Key header, a
// retried request returns the first line instead of posting twice.
func (h *handler) postLine(w http.ResponseWriter, r *http.Request, me *who) error {
	room, err := h.memberRoom(r.Context(), me, r.PathValue("id"))
	if err != nil {
		return err
	}
	var in lineBody
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	if res, ok, err := h.command(r.Context(), me, room, in.Text); ok {
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, res)
		return nil
	}
	source := ""
	if k := r.Header.Get("Idempotency-Key"); k != "" {
		if len(k) > maxIdempotencyKey {
			return errf(http.StatusBadRequest, "invalid", "Idempotency-Key is longer than %d bytes", maxIdempotencyKey)
		}
		source = "web:" + me.user.ID + ":" + k
	}
	p, err := h.store.Chat.Post(r.Context(), threads.NewLine{Room: room.ID, Author: me.user.ID, AuthorName: me.user.Name, Text: in.Text,
		Origin: me.origin(), SourceID: source})
	if err != nil {
		return err
	}
	status := http.StatusCreated
	if p.Duplicate {
		status = http.StatusOK
	}
	writeJSON(w, status, p)
	return nil
}

// readBody is the body of POST /api/rooms/{id}/read.
type readBody struct {
	Line string `json:"line"`
}

func (h *handler) markRead(w http.ResponseWriter, r *http.Request, me *who) error {
	room, err := h.memberRoom(r.Context(), me, r.PathValue("id"))
	if err != nil {
		return err
	}
	var in readBody
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	if err := h.store.Chat.MarkRead(r.Context(), room.ID, me.user.ID, in.Line); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
