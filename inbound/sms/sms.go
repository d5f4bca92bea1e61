// Package sms is parley's Twilio webhook: texts members send to a parley
// number become their next line in the right room (or, when they are a
// command, are answered and never posted), and Twilio's status callbacks
// say what became of the texts parley sent.
//
// Every request must carry Twilio's X-Twilio-Signature over the public URL
// it was sent to (twiliosig.Verify); anything else gets 403 and changes
// nothing. A text is stored before Twilio gets its 200, so a Redis outage
// answers 500 and Twilio retries; a retry of a text already handled (its
// MessageSid) is ignored.
package sms

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"parley/inbound"
	"parley/inbound/twiliosig"
	"parley/internal/blobs"
	"parley/templates"
	"parley/threads"
)

// Paths the handler answers, as web mounts it.
const (
	InboundPath = "/sms/twilio"
	StatusPath  = "/sms/twilio/status"
)

// Sender sends a text: the same method set as outbound.TextSender (Twilio,
// or the outbox in the demo). An empty from means the default number.
type Sender interface {
	Send(ctx context.Context, to, from, body string) (sid string, err error)
}

// DefaultMediaBase is where Twilio serves MMS media.
const DefaultMediaBase = "https://api.twilio.com"

// Defaults for Options fields left zero.
const (
	// DefaultMaxMedia is the largest MMS file kept.
	DefaultMaxMedia = 5 << 20
	// replyTimeout bounds sending one automatic reply.
	replyTimeout = 15 * time.Second
)

// Options configure the Handler. SMS, Directory, Chat, PublicURL and
// AuthToken are required.
type Options struct {
	// SMS keeps the texts' state: bindings, sent texts, opt-outs and the
	// MessageSids already handled.
	SMS *threads.SMSState
	// Directory finds the member a phone belongs to.
	Directory *threads.Directory
	// Chat takes the texts as lines, and the commands (away, mute...).
	Chat *threads.Chat
	// PublicURL is parley's public origin as Twilio calls it
	// (PARLEY_PUBLIC_URL); signatures are checked against it plus the
	// request's path.
	PublicURL string
	// AccountSID and AuthToken are the Twilio account's credentials: the
	// token keys signatures, and both fetch MMS media.
	AccountSID, AuthToken string
	// Replies sends the answers to commands and the "which room?" and
	// "unknown number" replies, from the number the text came to. Without
	// it nothing is answered.
	Replies Sender
	// Templates render the answers (the sms-*.txt files; templates.Default()
	// when nil).
	Templates *templates.Set
	// Blobs keeps MMS media; without it media are refused.
	Blobs *blobs.Store
	// MediaBases are the origins (scheme://host[:port]) media are fetched
	// from; DefaultMediaBase when empty. Any other URL is never fetched.
	MediaBases []string
	// AllowedTypes are the media types kept (inbound.DefaultAllowedTypes
	// when nil).
	AllowedTypes []string
	// MaxMedia is the largest media file kept (DefaultMaxMedia).
	MaxMedia int64
	// MaxBody is the largest request body (twiliosig.DefaultMaxBody).
	MaxBody int64
	// HTTPClient fetches media (a client with a 20 s timeout by default).
	HTTPClient *http.Client
	Log        *slog.Logger
}

// Handler serves InboundPath and StatusPath.
type Handler struct {
	o     Options
	log   *slog.Logger
	bases map[string]bool // allowed media origins
}

var _ http.Handler = (*Handler)(nil)

// New checks o and returns the handler.
func New(o Options) (*Handler, error) {
	if o.SMS == nil || o.Directory == nil || o.Chat == nil {
		return nil, errors.New("sms webhook: no store (SMS, Directory and Chat are required)")
	}
	if o.AuthToken == "" {
		return nil, errors.New("sms webhook: no Twilio auth token (TWILIO_AUTH_TOKEN)")
	}
	if u, err := url.Parse(o.PublicURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" {
		return nil, errors.New("sms webhook: public URL (PARLEY_PUBLIC_URL) must be an http(s) URL without a query")
	}
	o.PublicURL = strings.TrimRight(o.PublicURL, "/")
	if len(o.MediaBases) == 0 {
		o.MediaBases = []string{DefaultMediaBase}
	}
	bases := map[string]bool{}
	for _, b := range o.MediaBases {
		u, err := url.Parse(b)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, errors.New("sms webhook: media origin " + b + " is not an http(s) URL")
		}
		bases[u.Scheme+"://"+strings.ToLower(u.Host)] = true
	}
	if o.AllowedTypes == nil {
		o.AllowedTypes = inbound.DefaultAllowedTypes
	}
	if o.Templates == nil {
		o.Templates = templates.Default()
	}
	if o.MaxMedia <= 0 {
		o.MaxMedia = DefaultMaxMedia
	}
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{Timeout: 20 * time.Second, CheckRedirect: limitRedirects}
	}
	log := o.Log
	if log == nil {
		log = slog.Default()
	}
	return &Handler{o: o, log: log.With("door", "sms"), bases: bases}, nil
}

// ServeHTTP verifies the request's signature and hands it to the inbound
// text or the status callback handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	status := false
	switch r.URL.Path {
	case InboundPath:
	case StatusPath:
		status = true
	default:
		writeError(w, http.StatusNotFound, "no such webhook", "not_found")
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeError(w, http.StatusMethodNotAllowed, "use POST", "method_not_allowed")
		return
	}
	params, err := twiliosig.Verify(r, h.o.PublicURL, h.o.AuthToken, h.o.MaxBody)
	switch {
	case errors.Is(err, twiliosig.ErrMissingSignature), errors.Is(err, twiliosig.ErrBadSignature):
		h.log.Warn("webhook request refused", "path", r.URL.Path, "remote", r.RemoteAddr, "err", err)
		writeError(w, http.StatusForbidden, "the request does not carry a valid Twilio signature", "bad_signature")
		return
	case errors.Is(err, twiliosig.ErrBodyTooLarge):
		writeError(w, http.StatusRequestEntityTooLarge, "request body too large", "too_large")
		return
	case errors.Is(err, twiliosig.ErrBadRequest):
		writeError(w, http.StatusBadRequest, "not a Twilio webhook form", "bad_request")
		return
	case err != nil:
		h.log.Error("webhook configuration", "err", err)
		writeError(w, http.StatusInternalServerError, "webhook misconfigured", "config")
		return
	}
	if status {
		h.status(w, r.Context(), params)
		return
	}
	h.inbound(w, r.Context(), params)
}

// apiError is the JSON body of every error answer.
type apiError struct {
	Error string `json:"error"`
	Code  string `json:"code"`
}

func writeError(w http.ResponseWriter, status int, msg, code string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(apiError{Error: msg, Code: code})
}

// emptyTwiML tells Twilio the text was taken and nothing is to be sent in
// answer through TwiML (answers go through the Sender).
const emptyTwiML = `<?xml version="1.0" encoding="UTF-8"?><Response/>`

// writeTwiML answers 200 with empty TwiML and sends it at once, so Twilio
// has its answer before any reply is sent.
func writeTwiML(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write([]byte(emptyTwiML))
	if f, ok := w.(http.Flusher); ok {
		f.Flush()
	}
}

// reply sends an automatic reply to phone from the parley number the text
// came to, within the per-number reply limit. It never fails the request:
// the text is already handled.
func (h *Handler) reply(ctx context.Context, log *slog.Logger, phone, from, body string) {
	if h.o.Replies == nil || body == "" {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), replyTimeout)
	defer cancel()
	ok, err := h.o.SMS.AllowSMSReply(ctx, phone)
	if err != nil {
		log.Warn("reply not sent", "err", err)
		return
	}
	if !ok {
		log.Warn("reply not sent: too many replies to this number this hour (a loop?)")
		return
	}
	if _, err := h.o.Replies.Send(ctx, phone, from, body); err != nil {
		log.Warn("reply not sent", "err", err)
		return
	}
	log.Info("replied")
}

// limitRedirects follows at most three redirects (Twilio's media URLs
// redirect to its storage). net/http drops the Authorization header when a
// redirect leaves the original host, so the credentials go to Twilio only.
func limitRedirects(_ *http.Request, via []*http.Request) error {
	if len(via) >= 3 {
		return errors.New("too many redirects")
	}
	return nil
}
