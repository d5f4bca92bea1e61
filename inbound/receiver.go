package inbound

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"
	"unicode/utf8"

	"parley/inbound/mailparse"
	"parley/inbound/senderauth"
	"parley/internal/blobs"
	"parley/internal/filesafe"
	"parley/internal/pgpmime"
	"parley/internal/recent"
	"parley/templates"
	"parley/threads"
)

// Options configure the email Receiver.
type Options struct {
	// Store is the whole engine: a reply reaches five of its jobs (Auth
	// resolves the reply token, Directory the member, Chat takes the line
	// or the status, Queue the notices and transcript requests, Inbox the
	// held messages).
	Store *threads.Store
	// Domain is parley's mail domain: reply addresses are reply+TOKEN@Domain.
	Domain string
	// FromLocal is the local part of parley's own sender address (parley):
	// bounces come back to it, and mail carrying it in X-Loop is our own.
	FromLocal string
	// MaxBytes is the largest message accepted (10 MB).
	MaxBytes int64
	// Blobs keeps attachments; without it attachments are refused.
	Blobs *blobs.Store
	// AllowedTypes are the attachment media types kept (a trailing /* is a
	// wildcard); DefaultAllowedTypes when nil.
	AllowedTypes []string
	// HoldMismatched: a reply whose From is not the member's address is held
	// for review instead of refused. Either way nothing is posted.
	HoldMismatched bool
	// SenderAuth checks that the From domain vouches for a message
	// (DKIM, SPF, DMARC, the trusted relay's Authentication-Results); nil
	// checks nothing, as PARLEY_SENDER_AUTH=off does.
	SenderAuth *senderauth.Checker
	// AuthMode is what an unauthenticated message may still do
	// (PARLEY_SENDER_AUTH; senderauth.Prefer when empty).
	AuthMode senderauth.Mode
	// Vouchers are further proofs that a member wrote a message, asked
	// when the domain did not vouch (authgate.go).
	Vouchers []Voucher
	// Templates render the notices written to senders (the
	// email-notice-*.txt files; templates.Default() when nil).
	Templates *templates.Set
	Log       *slog.Logger
}

// DefaultAllowedTypes are the attachment types kept by default.
var DefaultAllowedTypes = []string{"image/*", "application/pdf", "text/plain", "text/csv", "audio/*", "video/*",
	"application/zip", "application/vnd.openxmlformats-officedocument.*", "application/vnd.oasis.opendocument.*",
	"application/msword", "application/vnd.ms-excel"}

// DefaultMaxBytes is the largest message accepted by default.
const DefaultMaxBytes = 10 << 20

// Mail is the Receiver for replies by email: both doors (SMTP and IMAP)
// hand it every message.
type Mail struct {
	o    Options
	from string // parley@domain
	log  *slog.Logger
	// tokens and members hold what was read lately: for trustFor.
	tokens  recent.Cache[resolved]
	members recent.Cache[threads.User]
	// pgp is parley's OpenPGP key, for encrypted replies (pgpreply.go).
	pgp pgpState
}

// A busy member's replies arrive one after another, each needing their
// reply token resolved (at RCPT and again at DATA) and their record read
// (to check the sender). The receiver trusts what it read for trustFor, so
// that a burst costs one lookup of each. The price is that a revoked token,
// or an address removed from a member, still works in this process for up
// to trustFor.
const trustFor = 10 * time.Second

// resolved is what a reply token names.
type resolved struct{ room, member string }

// resolve returns the room and member of a reply token.
func (m *Mail) resolve(ctx context.Context, tok string) (string, string, error) {
	now := time.Now()
	if r, ok := m.tokens.Get(tok, now); ok {
		return r.room, r.member, nil
	}
	room, member, err := m.o.Store.Auth.ResolveReplyToken(ctx, tok)
	if err != nil {
		return "", "", err
	}
	m.tokens.Put(tok, resolved{room, member}, now)
	return room, member, nil
}

// member returns a member's record. The receiver only reads it.
func (m *Mail) member(ctx context.Context, id string) (threads.User, error) {
	now := time.Now()
	if u, ok := m.members.Get(id, now); ok {
		return u, nil
	}
	u, err := m.o.Store.Directory.User(ctx, id)
	if err != nil {
		return u, err
	}
	m.members.Put(id, u, now)
	return u, nil
}

var _ Receiver = (*Mail)(nil)

// NewMail returns the email Receiver.
func NewMail(o Options) *Mail {
	o.Domain = strings.ToLower(o.Domain)
	if o.FromLocal == "" {
		o.FromLocal = "parley"
	}
	if o.MaxBytes <= 0 {
		o.MaxBytes = DefaultMaxBytes
	}
	if o.AllowedTypes == nil {
		o.AllowedTypes = DefaultAllowedTypes
	}
	if o.Templates == nil {
		o.Templates = templates.Default()
	}
	if o.AuthMode == "" {
		o.AuthMode = senderauth.Prefer
	}
	log := o.Log
	if log == nil {
		log = slog.Default()
	}
	return &Mail{o: o, from: strings.ToLower(o.FromLocal + "@" + o.Domain), log: log,
		tokens: recent.Cache[resolved]{TTL: trustFor}, members: recent.Cache[threads.User]{TTL: trustFor}}
}

// CheckRecipient accepts reply addresses parley issued, its bounce
// addresses (bounces+TOKEN@DOMAIN, where reports arrive), its own sender
// address and the status address (status@DOMAIN);
// everything else is refused: parley is never an open relay.
func (m *Mail) CheckRecipient(ctx context.Context, addr string) error {
	addr = strings.ToLower(strings.TrimSpace(addr))
	if addr == m.from || addr == m.statusAddress() {
		return nil
	}
	if _, ok := threads.ParseBounceAddress(addr, m.o.Domain); ok {
		return nil // checked at DATA; a report is never refused (no backscatter)
	}
	tok, ok := threads.ParseReplyAddress(addr, m.o.Domain)
	if !ok {
		if _, digest := threads.ParseDigestAddress(addr, m.o.Domain); digest {
			_, err := m.digestAddressee(ctx, []string{addr}) // accepted; Receive answers it
			return err
		}
		return Refuse("no such recipient here", nil)
	}
	_, _, err := m.resolve(ctx, tok)
	switch {
	case errors.Is(err, threads.ErrBadToken):
		return Refuse("unknown or expired reply address", nil)
	case err != nil:
		return Defer("temporary failure, try again later", err)
	}
	return nil
}

// Receive folds one message in: a member's reply becomes their next line
// in the room its address names, unless it is a status command (AWAY,
// BACK; also at status@DOMAIN); a report to a verified bounce address
// marks that one recipient failing (any other report is dropped); a
// member's out-of-office reply sets them away; any other automatic, list or
// looping message is ignored. It returns after the line is stored.
func (m *Mail) Receive(ctx context.Context, env Envelope, raw []byte) (Result, error) {
	if pgpmime.IsEncrypted(raw) {
		return m.receiveEncrypted(ctx, env, raw) // pgpreply.go
	}
	msg, err := mailparse.ParseBytes(raw, mailparse.Options{MaxBytes: m.o.MaxBytes, LoopID: m.from})
	switch {
	case errors.Is(err, mailparse.ErrTooLarge):
		return Result{}, Refuse(fmt.Sprintf("message too large (limit %d bytes)", m.o.MaxBytes), err)
	case err != nil:
		return Result{}, Refuse("message is not readable mail", err)
	}
	res, err := m.receive(ctx, env, msg, raw)
	m.explain(ctx, env, msg, res, err)
	return res, err
}

// explain writes to a person whose mail was not (wholly) taken: the files
// that were refused, and, for mail read from the mailbox (the SMTP door's
// refusal already reaches the sender as a bounce), why it was not posted.
// At most one of each a day per address; never to automatic mail.
func (m *Mail) explain(ctx context.Context, env Envelope, msg *mailparse.Message, res Result, err error) {
	if msg.Kind != mailparse.KindPerson && msg.Kind != mailparse.KindVacation || msg.From.Email == "" {
		return
	}
	type notice struct {
		kind string
		data NoticeData
	}
	var notices []notice
	if len(res.Refused) > 0 {
		notices = append(notices, notice{noticeFiles, NoticeData{Files: res.Refused}})
	}
	if ie := AsError(err); err != nil && !ie.Temporary && env.Door == "imap" && msg.Kind == mailparse.KindPerson {
		notices = append(notices, notice{noticeRefused, NoticeData{Reason: ie.Reason}})
	}
	for _, nd := range notices {
		n, ok := m.newNotice(nd.kind, msg.From.Email, msg.MessageID, nd.data)
		if !ok {
			continue
		}
		if _, err := m.o.Store.Queue.QueueNotice(ctx, n); err != nil {
			m.log.Warn("queue notice", "kind", n.Kind, "err", err)
		}
	}
}

func (m *Mail) receive(ctx context.Context, env Envelope, msg *mailparse.Message, raw []byte) (Result, error) {
	log := m.log.With("door", env.Door, "message_id", msg.MessageID, "kind", msg.Kind.String())
	if strings.EqualFold(msg.From.Email, m.from) {
		msg.Kind = mailparse.KindLoop
	}
	if tok, ok := m.bounceToken(env, msg); ok {
		return m.toBounceAddress(ctx, log, tok, msg) // bounce.go
	}
	switch msg.Kind {
	case mailparse.KindBounce:
		// Only a report to a bounce address parley made proves anything.
		log.Warn("delivery report not sent to a bounce address; dropped")
		return Result{Outcome: Ignored, Note: "unverified delivery report"}, nil
	case mailparse.KindLoop, mailparse.KindAutoReply, mailparse.KindBulk:
		log.Info("automatic message ignored")
		return Result{Outcome: Ignored, Note: msg.Kind.String()}, nil
	}
	if msg.Kind == mailparse.KindPerson && env.Door == "smtp" && env.MailFrom == "" {
		// The null sender is for reports and auto-replies (RFC 5321 4.5.5):
		// a "person's" message from it is neither, and nobody can be told.
		log.Warn("message from the null sender that is no report dropped")
		return Result{Outcome: Ignored, Note: "null sender"}, nil
	}
	if msg.Kind == mailparse.KindPerson && m.toStatus(env, msg) {
		return m.statusMail(ctx, log, env, msg, raw) // statuscmd.go
	}
	room, member, err := m.addressee(ctx, env, msg)
	if errors.Is(err, errDigestReply) {
		if msg.Kind == mailparse.KindPerson {
			return m.digestReply(ctx, log, member, msg)
		}
		err = Refuse("not addressed to a room", err)
	}
	if msg.Kind == mailparse.KindVacation && err != nil {
		// Out-of-office replies go to the envelope sender, not the reply
		// address: find the member by their address instead.
		return m.vacation(ctx, log, env, msg, raw)
	}
	if err != nil {
		return Result{}, err
	}
	res := Result{Room: room, Member: member}
	log = log.With("room", room, "member", member)
	user, err := m.member(ctx, member)
	if errors.Is(err, threads.ErrNotFound) {
		return res, Refuse("this reply address no longer works", err)
	}
	if err != nil {
		return res, Defer("temporary failure, try again later", err)
	}
	if !ownsAddress(user, msg.From.Email) {
		return m.mismatch(ctx, log, res, msg, raw)
	}
	cmd, isStatus := ParseStatusCommand(msg.Reply, true)
	span, isTranscript := ParseTranscriptCommand(msg.Reply)
	isTranscript = isTranscript && len(msg.Attachments) == 0
	unverified, err := m.authenticate(ctx, log, env, raw, user, msg.Kind == mailparse.KindVacation || isStatus || isTranscript) // authgate.go
	if err != nil {
		return res, err
	}
	if !unverified {
		m.learnAutocrypt(ctx, log, user, msg, raw) // pgpreply.go: only proven mail teaches a key
	}
	switch {
	case msg.Kind == mailparse.KindVacation:
		return m.away(ctx, log, res, user, msg)
	case isStatus:
		return m.setStatus(ctx, log, res, user, msg, cmd) // statuscmd.go
	case isTranscript:
		return m.transcript(ctx, log, res, msg, span) // transcriptcmd.go
	}
	if unverified {
		res.Note = Unverified
	}
	return m.post(ctx, log, res, msg, user.Name) // Post refuses a member who left the room
}

// addressee finds the room and member from the reply address among the
// envelope recipients (SMTP) or the To and Cc headers (IMAP). Threading
// headers never authorise a post: only a token does.
func (m *Mail) addressee(ctx context.Context, env Envelope, msg *mailparse.Message) (room, member string, err error) {
	candidates := append([]string(nil), env.Rcpt...)
	if len(candidates) == 0 {
		for _, a := range append(append([]mailparse.Address(nil), msg.To...), msg.Cc...) {
			candidates = append(candidates, a.Email)
		}
	}
	for _, c := range candidates {
		tok, ok := threads.ParseReplyAddress(c, m.o.Domain)
		if !ok {
			continue
		}
		room, member, err := m.resolve(ctx, tok)
		switch {
		case errors.Is(err, threads.ErrBadToken):
			return "", "", Refuse("unknown or expired reply address", err)
		case err != nil:
			return "", "", Defer("temporary failure, try again later", err)
		}
		return room, member, nil
	}
	if member, err := m.digestAddressee(ctx, candidates); err != nil || member != "" {
		if err != nil {
			return "", "", err
		}
		return "", member, errDigestReply
	}
	return "", "", Refuse("not addressed to a parley reply address; reply to a parley email to post in its room", nil)
}

func ownsAddress(u threads.User, addr string) bool {
	addr = strings.ToLower(strings.TrimSpace(addr))
	for _, e := range u.Emails {
		if e == addr {
			return true
		}
	}
	return false
}

// mismatch refuses (or holds) a reply whose sender is not the member.
func (m *Mail) mismatch(ctx context.Context, log *slog.Logger, res Result, msg *mailparse.Message, raw []byte) (Result, error) {
	log.Warn("sender does not match the reply address", "from", msg.From.Email)
	if !m.o.HoldMismatched {
		return res, Refuse("this reply address belongs to another member; reply from your own address", nil)
	}
	if _, err := m.o.Store.Inbox.Hold(ctx, threads.HeldMessage{Room: res.Room, Member: res.Member, From: msg.From.Email,
		Reason: "sender does not match the member", Raw: string(raw)}); err != nil {
		return res, Defer("temporary failure, try again later", err)
	}
	res.Outcome, res.Note = Held, "sender does not match the member"
	return res, nil
}

// vacation handles an out-of-office reply that came without a reply
// address: from a member's known address it sets them away; from anyone
// else it is ignored. It is never answered.
func (m *Mail) vacation(ctx context.Context, log *slog.Logger, env Envelope, msg *mailparse.Message, raw []byte) (Result, error) {
	u, err := m.o.Store.Directory.UserByEmail(ctx, msg.From.Email)
	if errors.Is(err, threads.ErrNotFound) {
		log.Info("out-of-office reply from a stranger ignored")
		return Result{Outcome: Ignored, Note: "vacation from a non-member"}, nil
	}
	if err != nil {
		return Result{}, Defer("temporary failure, try again later", err)
	}
	log = log.With("member", u.ID)
	if _, err := m.authenticate(ctx, log, env, raw, u, true); err != nil {
		return Result{Member: u.ID}, err
	}
	return m.away(ctx, log, Result{Member: u.ID}, u, msg)
}

// away turns a member's own out-of-office reply into an away status.
func (m *Mail) away(ctx context.Context, log *slog.Logger, res Result, u threads.User, msg *mailparse.Message) (Result, error) {
	p, err := m.o.Store.Chat.Presence(ctx, u.ID)
	if err != nil {
		return res, Defer("temporary failure, try again later", err)
	}
	res.Outcome = AwayHint
	if p.Status != nil && p.Status.Availability != threads.Available {
		res.Note = "already " + string(p.Status.Availability)
		return res, nil // a status set by hand wins
	}
	text := statusText(msg.Reply, msg.Subject)
	if _, err := m.o.Store.Chat.SetStatus(ctx, u.ID, threads.Status{Availability: threads.Away, Text: text}); err != nil {
		return res, Defer("temporary failure, try again later", err)
	}
	log.Info("out-of-office reply set the member away")
	res.Note = text
	return res, nil
}

// statusText makes a status line of an out-of-office text: its first
// non-empty line, at most 200 characters.
func statusText(reply, subject string) string {
	for _, l := range strings.Split(reply, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			return truncate(l, 200)
		}
	}
	return truncate(strings.TrimSpace(subject), 200)
}

func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}

// post stores the reply as the member's next line, its attachments saved.
// name is the member's display name, as just read.
func (m *Mail) post(ctx context.Context, log *slog.Logger, res Result, msg *mailparse.Message, name string) (Result, error) {
	text := strings.TrimSpace(msg.Reply)
	if topic, ok := threads.CutMeet(text); ok {
		return m.meet(ctx, log, res, msg, topic)
	}
	atts, rejected, err := m.saveAttachments(ctx, msg.Attachments)
	if err != nil {
		return res, Defer("temporary failure storing attachments, try again later", err)
	}
	if len(rejected) > 0 && text == "" && len(atts) == 0 {
		return res, Refuse("attachments not accepted: "+strings.Join(rejected, "; "), nil)
	}
	if text == "" && len(atts) == 0 {
		return res, Refuse("the reply is empty: write your text above the quoted message", nil)
	}
	if len(text) > threads.MaxLineBytes {
		text = truncate(text, threads.MaxLineBytes/4)
	}
	if text == "" {
		text = "sent " + DescribeFiles(atts)
	}
	if len(rejected) > 0 {
		log.Info("attachments refused", "files", strings.Join(rejected, "; "))
		res.Refused = rejected
	}
	source, sourceFor := emailSource(res.Member, res.Room, msg)
	p, err := m.o.Store.Chat.Post(ctx, threads.NewLine{Room: res.Room, Author: res.Member, AuthorName: name, Text: text,
		Origin: threads.FromEmail, Attachments: atts, SourceID: source, SourceFor: sourceFor, Quote: msg.Removed,
		Unverified: res.Note == Unverified,
		// The loop breaker runs in the post's own script.
		LoopCheck: true,
		// The sender hears 250 (or the mailbox marks the message) once the
		// line is stored; routing it to the others follows.
		Detach: true})
	var loop *threads.LoopError
	switch {
	case errors.As(err, &loop):
		m.loopDropped(ctx, log, &res, loop.Verdict)
		return res, nil
	case errors.Is(err, threads.ErrInvalid):
		return res, Refuse("the reply cannot be posted: "+err.Error(), err)
	case errors.Is(err, threads.ErrNotMember), errors.Is(err, threads.ErrNotFound):
		return res, Refuse("you are no longer a member of this room", err)
	case err != nil:
		return res, Defer("temporary failure, try again later", err)
	}
	res.Line = p.Line.ID
	res.Outcome = Posted
	if p.Duplicate {
		res.Outcome = Duplicate
	}
	log.Info("reply folded in", "line", p.Line.ID, "outcome", res.Outcome)
	return res, nil
}

// loopDropped records a line the loop breaker dropped (NewLine.LoopCheck):
// too many lines from the sender in the room this minute, or a text they
// sent within the hour. The sender is not told (they may be a machine);
// the admin log is. res is then Ignored.
func (m *Mail) loopDropped(ctx context.Context, log *slog.Logger, res *Result, v threads.LoopVerdict) {
	why := map[threads.LoopVerdict]string{threads.LoopRate: "too many lines by email this minute",
		threads.LoopRepeat: "the same text again within the hour"}[v]
	log.Warn("possible mail loop; line dropped", "why", why)
	if err := m.o.Store.Directory.Audit(ctx, threads.AuditEntry{Actor: "parley", Action: "mail.loop",
		Target: res.Room, Detail: res.Member + ": " + why}); err != nil {
		log.Warn("audit of a dropped line failed", "err", err)
	}
	res.Outcome, res.Note = Ignored, "loop breaker: "+why
}

// saveAttachments keeps the allowed files and names the refused ones.
func (m *Mail) saveAttachments(ctx context.Context, in []mailparse.Attachment) ([]threads.Attachment, []string, error) {
	var out []threads.Attachment
	var rejected []string
	for _, a := range in {
		name := filesafe.CleanName(a.Filename)
		if a.Filename == "" {
			name = "unnamed"
		}
		ct := a.ContentType
		if a.Data != nil {
			ct = filesafe.SniffType(a.Data, a.ContentType) // the bytes, not the sender's word
		}
		switch {
		case m.o.Blobs == nil:
			rejected = append(rejected, name+" (files are not accepted here)")
			continue
		case a.ContentType != "application/octet-stream" && !filesafe.TypeAllowed(m.o.AllowedTypes, a.ContentType):
			// The bytes may narrow the sender's word, never widen it.
			rejected = append(rejected, name+" (type "+a.ContentType+" is not allowed)")
			continue
		case !filesafe.TypeAllowed(m.o.AllowedTypes, ct):
			rejected = append(rejected, name+" (sent as "+a.ContentType+", but its content is "+ct+", which is not allowed)")
			continue
		case a.Data == nil:
			rejected = append(rejected, name+" (too large)")
			continue
		case len(out) >= threads.MaxAttachments:
			rejected = append(rejected, name+" (too many files)")
			continue
		}
		meta, err := m.o.Blobs.Put(ctx, name, ct, bytes.NewReader(a.Data))
		if errors.Is(err, blobs.ErrTooLarge) {
			rejected = append(rejected, name+" (too large)")
			continue
		}
		if err != nil {
			return nil, nil, err
		}
		out = append(out, threads.Attachment{ID: meta.ID, Name: name, Type: ct, Size: meta.Size})
	}
	return out, rejected, nil
}
