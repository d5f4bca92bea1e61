// Package mailparse turns a raw RFC 5322 message into what parley needs
// from an emailed reply: who sent it and in answer to what, the text the
// person typed (without quoted history, signature or client clutter), the
// files they attached, and whether a person wrote it at all — or a vacation
// responder, a mailing list, or a mail server reporting a bounce.
//
// It is pure code: no network, no storage. Parse never panics, bounds the
// memory it uses by Options.MaxBytes, and runs in time linear in the size of
// the message, so the SMTP and IMAP doors can call it on anything they
// receive.
package mailparse

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	_ "github.com/emersion/go-message/charset" // registers charsets for message and header decoding
)

// DefaultMaxBytes is the message size limit used when Options.MaxBytes is
// zero: 10 MB.
const DefaultMaxBytes = 10 << 20

var (
	// ErrTooLarge is wrapped by the error Parse returns for a message over
	// Options.MaxBytes. The SMTP door maps it to "552 message too large".
	ErrTooLarge = errors.New("mailparse: message too large")
	// ErrMalformed is wrapped by the error Parse returns for input that is
	// not a mail message: a header section that cannot be read, or no From
	// field (RFC 5322 section 3.6 requires one and parley needs it).
	ErrMalformed = errors.New("mailparse: malformed message")
)

// Options bounds what Parse reads and keeps, and tells Classify how to
// recognise parley's own mail coming back.
type Options struct {
	// MaxBytes is the largest message accepted; 0 means DefaultMaxBytes.
	MaxBytes int64
	// MaxAttachmentBytes caps the decoded size of each attachment kept in
	// memory; 0 means MaxBytes. A larger attachment is listed with its
	// size but without Data. A negative value keeps no attachment data.
	MaxAttachmentBytes int64
	// LoopID, when set, is the value parley's outgoing mail carries in its
	// X-Loop header; a message that comes back with it is KindLoop.
	LoopID string
}

func (o Options) maxBytes() int64 {
	if o.MaxBytes <= 0 {
		return DefaultMaxBytes
	}
	return o.MaxBytes
}

func (o Options) maxAttachmentBytes() int64 {
	switch {
	case o.MaxAttachmentBytes < 0:
		return 0
	case o.MaxAttachmentBytes == 0:
		return o.maxBytes()
	}
	return o.MaxAttachmentBytes
}

// Address is a mailbox: a display name, possibly empty, and an address.
type Address struct {
	Name  string
	Email string
}

// String formats the address for logs and headers: "Name <email>".
func (a Address) String() string {
	if a.Name == "" {
		return "<" + a.Email + ">"
	}
	return fmt.Sprintf("%q <%s>", a.Name, a.Email)
}

// Attachment is a file carried by the message, inline images included.
type Attachment struct {
	// Filename is the decoded name the sender gave, possibly empty.
	Filename string
	// ContentType is the lower-cased media type, such as "image/png".
	ContentType string
	// Size is the decoded size in bytes.
	Size int64
	// Data holds the decoded content, or nil when Size exceeds
	// Options.MaxAttachmentBytes.
	Data []byte
}

// Message is what Parse makes of one email.
type Message struct {
	// MessageID, InReplyTo and References carry message IDs without the
	// angle brackets; parley threads and dedupes on them.
	MessageID  string
	InReplyTo  string
	References []string

	// From is the author; the doors check it against the member a
	// reply token names. ReplyTo, To and Cc are the other address fields.
	From    Address
	ReplyTo []Address
	To, Cc  []Address
	// ReturnPath is the envelope sender recorded by the final MTA, without
	// angle brackets; it is empty for the null sender "<>" of bounces and
	// auto-replies, and when absent.
	ReturnPath string
	// Subject is the decoded subject; Date is the zero time when absent
	// or unreadable.
	Subject string
	Date    time.Time

	// Text is the whole body as plain text: the text/plain part when there
	// is one, else the HTML part turned into readable text (quotes become
	// "> " lines), with transfer encodings, charsets and format=flowed
	// decoded.
	Text string
	// Reply is the part of Text the sender typed; see ExtractReply.
	Reply string
	// Removed is what ExtractReply cut from Text.
	Removed string

	// Attachments are the files carried, in message order.
	Attachments []Attachment
	// Encrypted reports an OpenPGP or S/MIME encrypted body, which parley
	// cannot read; Text is then empty or only the unencrypted preamble.
	Encrypted bool

	// Kind says who or what wrote the message; only KindPerson messages become
	// chat lines.
	Kind Kind
	// Bounce describes a delivery failure when Kind is KindBounce.
	Bounce *Bounce
}

// Parse reads one message from r and decodes it. It reads at most
// opt.MaxBytes+1 bytes and returns an error wrapping ErrTooLarge if the
// message is longer, without reading the rest. It returns an error wrapping
// ErrMalformed when the input is not a mail message. Parse never panics.
func Parse(r io.Reader, opt Options) (msg *Message, err error) {
	data, err := io.ReadAll(io.LimitReader(r, opt.maxBytes()+1))
	if err != nil {
		return nil, fmt.Errorf("mailparse: reading message: %w", err)
	}
	return ParseBytes(data, opt)
}

// ParseBytes is Parse for a message already in memory (as a door that
// took it whole has it); data is not changed.
func ParseBytes(data []byte, opt Options) (msg *Message, err error) {
	if max := opt.maxBytes(); int64(len(data)) > max {
		return nil, fmt.Errorf("%w: more than %d bytes", ErrTooLarge, max)
	}
	// parseBytes is written not to panic; the fuzz tests call it without
	// this net. Should it fail anyway, the caller gets an error, not a crash.
	defer func() {
		if p := recover(); p != nil {
			msg, err = nil, fmt.Errorf("%w: internal error: %v", ErrMalformed, p)
		}
	}()
	return parseBytes(data, opt)
}

// parseBytes does the work of Parse on a message already in memory.
func parseBytes(data []byte, opt Options) (*Message, error) {
	hdr, body, err := readHeader(cleanHeader(skipMboxLine(data)))
	if err != nil {
		return nil, fmt.Errorf("%w: reading header: %w", ErrMalformed, err)
	}
	if !hdr.Has("From") {
		return nil, fmt.Errorf("%w: no From field", ErrMalformed)
	}
	m := &Message{
		MessageID:  firstMsgID(hdr.Get("Message-Id")),
		InReplyTo:  firstMsgID(hdr.Get("In-Reply-To")),
		References: msgIDs(hdr.Get("References")),
		ReturnPath: returnPath(hdr.Get("Return-Path")),
		Subject:    decodeText(hdr.Get("Subject")),
	}
	if from := addressList(hdr, "From"); len(from) > 0 {
		m.From = from[0]
	}
	m.ReplyTo = addressList(hdr, "Reply-To")
	m.To = addressList(hdr, "To")
	m.Cc = addressList(hdr, "Cc")
	m.Date = parseDate(hdr.Get("Date"))

	c := newCollector(opt)
	c.failedHeader = hdr.Get("X-Failed-Recipients")
	c.walk(hdr, &memBody{data: body}, 0, false)
	m.Text = c.text()
	m.Attachments = c.attachments
	m.Encrypted = c.encrypted
	m.Reply, m.Removed = extractReply(m.Text, replyContext{Subject: m.Subject, From: m.From})

	m.Kind = Classify(hdr, opt)
	if b, isBounce := c.bounce(m, m.Kind); isBounce {
		m.Kind, m.Bounce = KindBounce, b
	} else if m.Kind == KindBounce {
		// A delivery report with no failed recipient ("relayed",
		// "delivered") is an automatic notice, not a bounce.
		m.Kind = KindAutoReply
	}
	return m, nil
}

// skipMboxLine drops the "From sender date" separator line that mbox files
// and Thunderbird exports put before the header.
func skipMboxLine(data []byte) []byte {
	if !bytes.HasPrefix(data, []byte("From ")) {
		return data
	}
	if i := bytes.IndexByte(data, '\n'); i >= 0 {
		return data[i+1:]
	}
	return nil
}

// maxTextHeader bounds the header text decoded for RFC 2047 words, which
// the standard decoder scans in quadratic time on hostile input.
const maxTextHeader = 4 << 10

// decodeText decodes the RFC 2047 encoded words of an unstructured header
// field such as Subject, keeping the raw value when decoding fails.
func decodeText(v string) string {
	if len(v) > maxTextHeader {
		v = v[:maxTextHeader]
	}
	if strings.Contains(v, "=?") {
		if d, err := newWordDecoder().DecodeHeader(v); err == nil {
			v = d
		}
	}
	return cleanText(v)
}

// returnPath strips the angle brackets from a Return-Path; "<>" gives "".
func returnPath(v string) string {
	v = strings.TrimSpace(v)
	v = strings.TrimSuffix(strings.TrimPrefix(v, "<"), ">")
	return strings.TrimSpace(v)
}

// firstMsgID returns the first message ID of a field, without brackets.
func firstMsgID(v string) string {
	for id, rest, ok := nextMsgID(v); ok; id, rest, ok = nextMsgID(rest) {
		if id != "" {
			return id
		}
	}
	return ""
}

// msgIDs reads a list of message IDs leniently: bracketed IDs, or bare
// tokens when a client forgot the brackets.
func msgIDs(v string) []string {
	var ids []string
	for id, rest, ok := nextMsgID(v); ok; id, rest, ok = nextMsgID(rest) {
		if id != "" && len(ids) < 100 {
			ids = append(ids, id)
		}
	}
	return ids
}

// nextMsgID reads the message ID at the start of v, which is "" for empty
// brackets, and returns what follows it. ok is false when v holds no more.
func nextMsgID(v string) (id, rest string, ok bool) {
	v = strings.TrimLeft(v, " \t\r\n,")
	if v == "" {
		return "", "", false
	}
	if v[0] == '<' {
		end := strings.IndexByte(v, '>')
		if end < 0 {
			id, v = v[1:], ""
		} else {
			id, v = v[1:end], v[end+1:]
		}
	} else {
		end := strings.IndexAny(v, " \t\r\n,<")
		if end < 0 {
			end = len(v)
		}
		id, v = v[:end], v[end:]
	}
	return strings.TrimSpace(id), v, true
}
