package threads

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/redis/go-redis/v9"
)

// Origin says through which door a line came in.
type Origin string

// Origins.
const (
	FromWeb    Origin = "web"
	FromEmail  Origin = "email"
	FromSMS    Origin = "sms"
	FromAPI    Origin = "api"
	FromSystem Origin = "system"
	// FromAutoReply: an away member's auto-reply, posted by parley on their
	// behalf (threads/autoreply.go). Shown live and kept in the log, never
	// relayed by email or SMS, never answered.
	FromAutoReply Origin = "autoreply"
)

func (o Origin) valid() bool {
	switch o {
	case FromWeb, FromEmail, FromSMS, FromAPI, FromSystem, FromAutoReply:
		return true
	}
	return false
}

// Automatic reports whether lines of this origin were written by parley,
// not by a person: they are never answered by an auto-reply.
func (o Origin) Automatic() bool { return o == FromSystem || o == FromAutoReply }

// Limits on lines.
const (
	// MaxLineBytes is the longest text of one line.
	MaxLineBytes = 16 << 10
	// MaxAttachments is the most attachment references on one line.
	MaxAttachments = 20
	// MaxSourceID is the longest source id (RFC 5322 caps a line at 998).
	MaxSourceID = 998
	// MaxQuoteBytes is the most of a cut quote kept with a line.
	MaxQuoteBytes = 32 << 10
	// MaxPage is the most lines one read returns.
	MaxPage = 1000
)

// Attachment refers to a file stored elsewhere; the line holds only the reference.
type Attachment struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	Type string `json:"type,omitempty"`
	Size int64  `json:"size,omitempty"`
}

// Line is one chat line as stored in its room's stream. Name is the author's
// display name at the time of posting, so any reader can print "Name: text".
type Line struct {
	ID          string       `json:"id"`
	Room        string       `json:"room"`
	Author      string       `json:"author"`
	Name        string       `json:"name"`
	Text        string       `json:"text"`
	Origin      Origin       `json:"origin"`
	Attachments []Attachment `json:"attachments,omitempty"`
	SourceID    string       `json:"source_id,omitempty"`
	// Quote is what was cut from an emailed reply (quoted history,
	// signature), kept for anyone who wants it; never relayed.
	Quote string `json:"quote,omitempty"`
	// Urgent: the author wrote it with the !urgent prefix (cut from Text)
	// within their rate limit; it goes through quiet hours.
	Urgent bool      `json:"urgent,omitempty"`
	Time   time.Time `json:"time"`
	// Unverified: the line came by email from an address whose domain
	// did not vouch for it (PARLEY_SENDER_AUTH=prefer); the page says so.
	Unverified bool `json:"unverified,omitempty"`
}

// String renders the line as "Name: text".
func (l Line) String() string { return l.Name + ": " + l.Text }

// NewLine is what a door hands to Post.
type NewLine struct {
	Room   string
	Author string
	// AuthorName is the author's display name when the door has just read
	// the author's user record (it saves Post a round trip); empty: Post
	// reads it.
	AuthorName string
	Text       string
	Origin     Origin
	// Attachments are references to files already stored.
	Attachments []Attachment
	// Quote is what a door cut from the text (an email's quoted history and
	// signature); it is kept with the line, cut to MaxQuoteBytes.
	Quote string
	// SourceID is the outside id (email Message-ID, Twilio MessageSid); a
	// second post with the same id in the same room returns the first line.
	SourceID string
	// SourceFor is how long SourceID is remembered (Options.DedupeFor
	// when 0): shorter for an id made from the content, which a person may
	// honestly send again another day.
	SourceFor time.Duration
	// Detach: Post returns once the line is stored and routes it in the
	// background (detach.go), so Posted has no Routes or AutoReplies. For
	// doors that answer their sender as soon as the line is safe.
	Detach bool
	// Unverified marks the line as from a sender that could not be
	// authenticated (Line.Unverified).
	Unverified bool
	// LoopCheck runs the loop breaker (CheckEmailLoop, on the text as the
	// door hands it and SourceID) in the post's own script, before
	// anything is written: a line it drops is not stored, and Post returns
	// a *LoopError. The email doors set it, which saves the check a round
	// trip of its own.
	LoopCheck bool

	loopText string // the text the loop breaker hashes: as the door gave it
}

// Posted is the result of Post.
type Posted struct {
	Line Line `json:"line"`
	// Duplicate: a line with the same source id was already stored; Line is
	// that first line and nothing new was written or routed.
	Duplicate bool `json:"duplicate,omitempty"`
	// Routes says how the line reaches each other member.
	Routes map[string]Decision `json:"routes,omitempty"`
	// Escalates says, for the members the line needs, when and how it
	// goes out again if they neither see nor answer it (escalate.go).
	Escalates map[string]Escalation `json:"escalates,omitempty"`
	// AutoReplies are the away auto-replies the line drew, posted after it.
	AutoReplies []Line `json:"auto_replies,omitempty"`
	// Note tells the author something about their line, such as an
	// !urgent prefix beyond their rate limit.
	Note string `json:"note,omitempty"`
}

func (n NewLine) validate() error {
	if err := ValidID("room", n.Room); err != nil {
		return err
	}
	if err := ValidID("user", n.Author); err != nil {
		return err
	}
	if !n.Origin.valid() {
		return invalid("origin %q is not web, email, sms, api, system or autoreply", n.Origin)
	}
	if strings.TrimSpace(n.Text) == "" && len(n.Attachments) == 0 {
		return invalid("line is empty")
	}
	if len(n.Text) > MaxLineBytes {
		return invalid("line is %d bytes; the limit is %d", len(n.Text), MaxLineBytes)
	}
	if !utf8.ValidString(n.Text) {
		return invalid("line is not valid UTF-8 text")
	}
	if len(n.Attachments) > MaxAttachments {
		return invalid("line has %d attachments; the limit is %d", len(n.Attachments), MaxAttachments)
	}
	if len(n.SourceID) > MaxSourceID {
		return invalid("source id is longer than %d bytes", MaxSourceID)
	}
	return nil
}

// Post stores a line in its room and routes it to the other members. The
// line, its dedupe key, its "fan-out due" record and its live event are
// written by one script; only then is the line routed, its delivery jobs
// queued and the away auto-replies it draws posted. If the process dies in
// between, RecoverFanout finishes the work. When Post returns without error
// the line is in Redis.
//
// A line from a person that starts with !urgent is stored without the
// prefix and marked Urgent while the author is within their rate limit
// (threads/urgent.go).
func (s *Chat) Post(ctx context.Context, n NewLine) (Posted, error) {
	if n.Origin == FromAutoReply {
		return Posted{}, invalid("auto-reply lines are posted by parley itself")
	}
	n.loopText = n.Text
	askedUrgent := false
	if !n.Origin.Automatic() {
		n.Text, askedUrgent = CutUrgent(n.Text)
	}
	if err := n.validate(); err != nil {
		return Posted{}, err
	}
	name := n.AuthorName
	var author User
	if name == "" || askedUrgent {
		var err error
		if author, err = s.dir.User(ctx, n.Author); err != nil {
			return Posted{}, err
		}
		name = author.Name
	}
	urgent, note := false, ""
	if askedUrgent {
		var err error
		if urgent, note, err = s.allowUrgent(ctx, author, n.Origin); err != nil {
			return Posted{}, err
		}
	}
	p, err := s.post(ctx, n, name, urgent)
	p.Note = note
	return p, err
}

// post stores a validated line under the given display name and fans it out.
func (s *Chat) post(ctx context.Context, n NewLine, name string, urgent bool) (Posted, error) {
	if err := s.holdFiles(ctx, n.Attachments); err != nil {
		return Posted{}, err
	}
	line, dup, kind, members, pre, err := s.store(ctx, n, name, urgent)
	if err != nil {
		return Posted{}, err
	}
	if dup {
		s.unholdFiles(ctx, n.Attachments)
		return Posted{Line: line, Duplicate: true}, nil
	}
	s.opts.Observer.LinePosted(n.Origin)
	if n.Detach && s.fanoutLater(pendingFanout{line: line, kind: kind, members: members, pre: pre}) {
		return Posted{Line: line}, nil
	}
	res, err := s.fanoutOne(ctx, pendingFanout{line: line, kind: kind, members: members, pre: pre})
	routes, replies := res.routes, res.replies
	if err != nil {
		// The line is stored and its fan-out is still due: recovery will
		// finish it. The caller must not post again, so no error; Routes
		// stays nil.
		s.log.Warn("fan-out left to recovery", "room", line.Room, "line", line.ID, "err", err)
		return Posted{Line: line}, nil
	}
	return Posted{Line: line, Routes: routes, AutoReplies: replies, Escalates: res.escalates}, nil
}

// store runs the post script. It returns the stored line (or the first line
// with the same source id, dup true), the room kind and its members, and
// the fan-out's reads made in the same round trip (see prefetch.go).
func (s *Chat) store(ctx context.Context, n NewLine, name string, urgent bool) (line Line, dup bool, kind RoomKind, members []string, pre *prefetch, err error) {
	now := s.now().UTC().Truncate(time.Millisecond)
	line = Line{Room: n.Room, Author: n.Author, Name: name, Text: n.Text, Origin: n.Origin,
		Attachments: n.Attachments, SourceID: n.SourceID, Quote: cutUTF8(n.Quote, MaxQuoteBytes), Urgent: urgent, Time: now,
		Unverified: n.Unverified}
	attach := ""
	if len(n.Attachments) > 0 {
		b, err := json.Marshal(n.Attachments)
		if err != nil {
			return line, false, "", nil, nil, err
		}
		attach = string(b)
	}
	// The live event: the script adds the id and the text (live.go).
	// Live clients fetch the quote when they want it.
	live := line
	live.Text, live.Quote = "", ""
	// event goes to go-redis as []byte, which it sends without a copy.
	event, err := json.Marshal(live)
	if err != nil {
		return line, false, "", nil, nil, err
	}
	// Room for the loop breaker's two keys and three arguments (below).
	keys := make([]string, 0, 8)
	keys = append(keys, s.k.room(n.Room), s.k.members(n.Room), s.k.lines(n.Room), s.k.source(n.Room, n.SourceID), s.k.pending(n.Room),
		s.k.roomLive(n.Room))
	urgentArg, shardedArg, unverifiedArg := "", "", ""
	if urgent {
		urgentArg = "1"
	}
	if n.Unverified {
		unverifiedArg = "1"
	}
	if s.sharded {
		shardedArg = "1"
	}
	// Text and quote are sealed here, before the script (seal.go): the
	// stream and the live event get the sealed text. The loop breaker
	// hashes the text as the door handed it in (n.loopText).
	var held membership
	if v, ok := s.roomMembers.Load(n.Room); ok {
		held = v.(membership)
	}
	sentVersion := held.heldVersion(n.Author, n.Origin)
	args := make([]any, 0, 17)
	args = append(args, n.Author, name, s.seal(line.Text), string(n.Origin), attach, n.SourceID,
		now.UnixMilli(), sentVersion, int(cmp.Or(n.SourceFor, s.opts.DedupeFor)/time.Second), event, s.seal(line.Quote), urgentArg, shardedArg, unverifiedArg)
	if n.LoopCheck {
		loopKeys, limit, source, window := s.loopCheck(n.Room, n.Author, n.loopText, n.SourceID)
		keys = append(keys, loopKeys...)
		args = append(args, limit, source, window)
	}
	var post *redis.StringSliceCmd
	claimed := false
	fill := func(p redis.Pipeliner) {
		post = evalShaStrings(ctx, p, scriptPost, keys, args...)
		// With no guess there is nothing to read ahead. (A durable post
		// on a cluster talks to the room's master only.)
		if held.version == "" || (s.opts.ReplicaWait > 0 && s.sharded) {
			return
		}
		// A detached line shares the reads of a line by its author on its
		// way to the background fan-out or waiting there (fanoutMany).
		// (fill runs again after NOSCRIPT: the claim holds.)
		if n.Detach && !claimed {
			if claimed = s.detached.claimReads(n.Room, n.Author); !claimed {
				return
			}
		}
		pre = s.prefetch(ctx, p, n.Room, n.Author, held)
	}
	defer func() {
		if claimed {
			s.detached.releaseReads(n.Room, n.Author)
		}
	}()
	if s.opts.ReplicaWait > 0 {
		err = s.durableRun(ctx, keys[0], scriptPost, fill) // durable.go
		if errors.Is(err, ErrReplicas) || post == nil {
			return line, false, "", nil, nil, fmt.Errorf("post to %s: %w", n.Room, err)
		}
	} else {
		err = s.scriptBatched(ctx, scriptPost, fill)
	}
	res, perr := post.Result()
	if perr != nil {
		return line, false, "", nil, nil, fmt.Errorf("post to %s: %w", n.Room, perr)
	}
	if err != nil && !errors.Is(err, redis.Nil) {
		pre = nil // the script ran; only a prefetched read failed: fan-out reads again
	}
	switch res[0] {
	case "noroom":
		return line, false, "", nil, nil, fmt.Errorf("room %s: %w", n.Room, ErrNotFound)
	case "notmember":
		return line, false, "", nil, nil, fmt.Errorf("post to %s as %s: %w", n.Room, n.Author, ErrNotMember)
	case "loop":
		v, _ := strconv.Atoi(res[1])
		return line, false, "", nil, nil, &LoopError{Verdict: LoopVerdict(v)}
	case "dup":
		first, err := s.decodeLine(n.Room, redis.XMessage{ID: res[1], Values: pairs(res[2:])})
		return first, true, "", nil, nil, err
	}
	if len(res) < 5 || res[0] != "new" || (res[4] == "same" && sentVersion == "") {
		return line, false, "", nil, nil, fmt.Errorf("post to %s: unexpected answer %q", n.Room, res)
	}
	line.ID = res[1]
	if res[4] == "same" {
		members = held.members // of the version the script found
	} else {
		members = res[5:]
		s.roomMembers.Store(n.Room, newMembership(res[3], members))
	}
	return line, false, RoomKind(res[2]), members, pre, nil
}

func pairs(flat []string) map[string]any {
	m := make(map[string]any, len(flat)/2)
	for i := 0; i+1 < len(flat); i += 2 {
		m[flat[i]] = flat[i+1]
	}
	return m
}

// decodeLine turns a stream entry back into a Line, its text and quote
// opened (seal.go).
func (s *base) decodeLine(room string, m redis.XMessage) (Line, error) {
	get := func(k string) string { v, _ := m.Values[k].(string); return v }
	ms, err := strconv.ParseInt(get("ts"), 10, 64)
	if err != nil {
		return Line{}, fmt.Errorf("line %s in %s: bad time %q", m.ID, room, get("ts"))
	}
	text, err := s.open("line "+m.ID+" in "+room, get("t"))
	if err != nil {
		return Line{}, err
	}
	quote, err := s.open("quote of line "+m.ID+" in "+room, get("q"))
	if err != nil {
		return Line{}, err
	}
	l := Line{ID: m.ID, Room: room, Author: get("a"), Name: get("n"), Text: text,
		Origin: Origin(get("o")), SourceID: get("s"), Quote: quote, Urgent: get("u") == "1", Time: time.UnixMilli(ms).UTC(),
		Unverified: get("v") == "1"}
	if at := get("at"); at != "" {
		if err := json.Unmarshal([]byte(at), &l.Attachments); err != nil {
			return Line{}, fmt.Errorf("line %s in %s: attachments: %w", m.ID, room, err)
		}
	}
	return l, nil
}

// Range selects lines to read.
type Range struct {
	// After and Before are exclusive bounds (line ids); empty means open.
	After, Before string
	// Limit caps the count (100 when 0, at most MaxPage).
	Limit int
	// Newest first when true; oldest first otherwise.
	Newest bool
}

var streamID = regexp.MustCompile(`^[0-9]{1,20}(-[0-9]{1,20})?$`)

// Lines reads a room's lines. With Newest, the limit keeps the newest lines
// (before Before); otherwise the oldest (after After).
func (s *Chat) Lines(ctx context.Context, room string, r Range) ([]Line, error) {
	if err := ValidID("room", room); err != nil {
		return nil, err
	}
	for _, id := range []string{r.After, r.Before} {
		if id != "" && !streamID.MatchString(id) {
			return nil, invalid("line id %q is not like 1732500000000-0", id)
		}
	}
	if r.Limit <= 0 {
		r.Limit = 100
	}
	if r.Limit > MaxPage {
		r.Limit = MaxPage
	}
	lo, hi := "-", "+"
	if r.After != "" {
		lo = "(" + r.After
	}
	if r.Before != "" {
		hi = "(" + r.Before
	}
	var msgs []redis.XMessage
	var err error
	if r.Newest {
		msgs, err = s.rdb.XRevRangeN(ctx, s.k.lines(room), hi, lo, int64(r.Limit)).Result()
	} else {
		msgs, err = s.rdb.XRangeN(ctx, s.k.lines(room), lo, hi, int64(r.Limit)).Result()
	}
	if err != nil {
		return nil, fmt.Errorf("read lines of %s: %w", room, err)
	}
	if len(msgs) == 0 {
		if _, err := s.Room(ctx, room); err != nil {
			return nil, err
		}
	}
	out := make([]Line, 0, len(msgs))
	for _, m := range msgs {
		l, err := s.decodeLine(room, m)
		if err != nil {
			return nil, err
		}
		out = append(out, l)
	}
	return out, nil
}

// Line reads one line.
func (s *Chat) Line(ctx context.Context, room, id string) (Line, error) {
	if err := ValidID("room", room); err != nil {
		return Line{}, err
	}
	if !streamID.MatchString(id) {
		return Line{}, invalid("line id %q is not like 1732500000000-0", id)
	}
	msgs, err := s.rdb.XRange(ctx, s.k.lines(room), id, id).Result()
	if err != nil {
		return Line{}, fmt.Errorf("read line %s of %s: %w", id, room, err)
	}
	if len(msgs) == 0 {
		return Line{}, fmt.Errorf("line %s of %s: %w", id, room, ErrNotFound)
	}
	return s.decodeLine(room, msgs[0])
}

// Mentions returns the user ids a text mentions as @id, each once, in
// lower case. An @ counts at the start of the text or after a character
// that is not a letter, digit, '_', '@' or '.' (so bob@example.org is no
// mention); the id is 1-64 of a-z 0-9 . _ -, without trailing . _ -. It
// scans the text once: it runs for every line posted.
func Mentions(text string) []string {
	var out []string
	for i := 0; i < len(text); i++ {
		at := strings.IndexByte(text[i:], '@')
		if at < 0 {
			break
		}
		i += at
		if i > 0 && !mentionBoundary(text[:i]) {
			continue
		}
		j := i + 1
		for j < len(text) && j-i-1 < 64 && isIDByte(lower(text[j]), j == i+1) {
			j++
		}
		id := strings.TrimRight(strings.ToLower(text[i+1:j]), ".-_")
		if id != "" && !contains(out, id) {
			out = append(out, id)
		}
		i = j - 1
	}
	return out
}

// mentionBoundary reports whether the text before an @ ends in a character
// after which a mention may start.
func mentionBoundary(before string) bool {
	r, _ := utf8.DecodeLastRuneInString(before)
	return !(r == '@' || r == '.' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r))
}

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// isIDByte reports whether c may be part of a user id (first: may start one).
func isIDByte(c byte, first bool) bool {
	switch {
	case 'a' <= c && c <= 'z', '0' <= c && c <= '9':
		return true
	case c == '.', c == '_', c == '-':
		return !first
	}
	return false
}

// cutUTF8 cuts s to at most n bytes without splitting a character.
func cutUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
