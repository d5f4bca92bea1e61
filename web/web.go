// Package web is parley's HTTP side: sign-in by emailed link, sessions and
// API tokens, the JSON API (rooms, lines, files, presence, profile), the
// live stream (server-sent events), the small server-rendered page, the
// one-click unsubscribe of relayed emails and health.
//
// Every answer to a request that fails is JSON {"error", "code"} with the
// right status (the page answers with HTML). A member sees only the rooms
// they belong to, through every endpoint and the stream.
package web

import (
	"context"
	"encoding/json"
	"errors"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"parley/internal/blobs"
	"parley/internal/filelink"
	"parley/internal/pgp"
	"parley/threads"
)

// Options configure the handler.
type Options struct {
	Store *threads.Store
	Log   *slog.Logger
	// SMSHook, when set, is the Twilio webhook (inbound texts and status
	// callbacks); it is mounted at /sms/twilio and /sms/twilio/status.
	SMSHook http.Handler
	// PublicURL is the page's address as people reach it
	// (PARLEY_PUBLIC_URL): sign-in links start with it, and session
	// cookies are Secure when it is https. http://localhost:8080 when empty.
	PublicURL string
	// Blobs keeps uploaded files; nil: uploads are refused.
	Blobs *blobs.Store
	// MaxUploadBytes caps one uploaded file (10 MB).
	MaxUploadBytes int64
	// AllowedTypes are the media types an upload may have (a trailing /*
	// is a wildcard); images, PDF and plain text when nil.
	AllowedTypes []string
	// RatePerMinute is each member's (or, before sign-in, each address's)
	// request budget per minute (600), with a burst of a tenth of it.
	// Requests over it get 429 with Retry-After.
	RatePerMinute int
	// Heartbeat is how often the live stream sends a comment to keep
	// proxies from closing it, and re-checks the member's session (25 s).
	Heartbeat time.Duration
	// MailDomain is parley's mail domain, used by mbox transcripts; the
	// host of PublicURL when empty.
	MailDomain string
	// MaxTranscriptBytes caps one downloaded transcript (20 MB); a longer
	// one ends with a note that it was cut. TranscriptTimeout caps the
	// time spent writing it (2 minutes).
	MaxTranscriptBytes int64
	TranscriptTimeout  time.Duration
	// Now is the clock (time.Now).
	Now func() time.Time
	// MaxStreamsPerMember and MaxStreamsPerIP cap the live streams open at
	// once (8 and 32); one more gets 429.
	MaxStreamsPerMember, MaxStreamsPerIP int
	// FileLinkTTL is how long a fresh file link works (7 days;
	// PARLEY_FILE_LINK_TTL).
	FileLinkTTL time.Duration
	// ServerKey returns parley's own OpenPGP public key, shown on the
	// profile page and served at /parley.asc and /api/key; nil (or a nil
	// key) when parley has none (no PARLEY_SECRET, or not made yet).
	ServerKey func(ctx context.Context) (*pgp.PublicKey, error)
	// Stop, when closed, ends every live stream, so that a server shutting
	// down does not wait for them (http.Server.RegisterOnShutdown).
	Stop <-chan struct{}
}

// Defaults of Options.
const (
	defaultMaxUpload = 10 << 20
	defaultRate      = 600
	defaultHeartbeat = 25 * time.Second
	// defaultTranscriptMax and defaultTranscriptTime bound a transcript download.
	defaultTranscriptMax  = 20 << 20
	defaultTranscriptTime = 2 * time.Minute
)

// defaultAllowedTypes are the upload types when Options.AllowedTypes is nil.
var defaultAllowedTypes = []string{"image/*", "application/pdf", "text/plain", "text/csv"}

// maxFormBytes caps every form body.
const maxFormBytes = 16 << 10

// New returns parley's HTTP handler.
func New(o Options) http.Handler {
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.PublicURL == "" {
		o.PublicURL = "http://localhost:8080"
	}
	o.PublicURL = strings.TrimRight(o.PublicURL, "/")
	if o.MaxUploadBytes <= 0 {
		o.MaxUploadBytes = defaultMaxUpload
	}
	if o.AllowedTypes == nil {
		o.AllowedTypes = defaultAllowedTypes
	}
	if o.RatePerMinute <= 0 {
		o.RatePerMinute = defaultRate
	}
	if o.Heartbeat <= 0 {
		o.Heartbeat = defaultHeartbeat
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	u, _ := url.Parse(o.PublicURL)
	if o.MailDomain == "" && u != nil {
		o.MailDomain = u.Hostname()
	}
	if o.MaxTranscriptBytes <= 0 {
		o.MaxTranscriptBytes = defaultTranscriptMax
	}
	if o.TranscriptTimeout <= 0 {
		o.TranscriptTimeout = defaultTranscriptTime
	}
	if o.FileLinkTTL <= 0 {
		o.FileLinkTTL = filelink.DefaultTTL
	}
	if o.MaxStreamsPerMember <= 0 {
		o.MaxStreamsPerMember = DefaultMaxStreamsPerMember
	}
	if o.MaxStreamsPerIP <= 0 {
		o.MaxStreamsPerIP = DefaultMaxStreamsPerIP
	}
	h := &handler{store: o.Store, log: o.Log, opts: o, secure: u != nil && u.Scheme == "https",
		limits: newLimiter(o.RatePerMinute, o.Now)}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", h.health)
	mux.HandleFunc("GET /unsubscribe/{token}", h.unsubscribePage)
	mux.HandleFunc("POST /unsubscribe/{token}", h.unsubscribe)
	mux.HandleFunc("GET /unsubscribe-digest/{token}", h.digestUnsubscribePage)
	mux.HandleFunc("POST /unsubscribe-digest/{token}", h.digestUnsubscribe)
	if o.SMSHook != nil {
		mux.Handle("/sms/twilio", o.SMSHook)
		mux.Handle("/sms/twilio/status", o.SMSHook)
	}
	h.apiRoutes(mux)
	h.peopleRoutes(mux)
	h.adminRoutes(mux)
	h.transcriptRoutes(mux)
	h.keyRoutes(mux) // api_key.go
	h.fileLinkRoutes(mux)
	h.pageRoutes(mux)
	return h.notFoundAsJSON(mux)
}

type handler struct {
	store  *threads.Store
	log    *slog.Logger
	opts   Options
	secure bool
	limits *limiter
	// streams counts open live streams (door.go).
	streams streamCaps
	// lines encodes each live line once for all the streams (stream.go).
	lines lineFrames
}

// apiError is the JSON body of every error answer.
type apiError struct {
	Error string `json:"error"`
	Code  string `json:"code"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// health answers 200 while the process serves HTTP: liveness only, with
// no Redis call, so that a Redis outage does not get every process
// restarted. Whether a process can do its work is /readyz (cmd/parley).
func (h *handler) health(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

var unsubscribeTmpl = template.Must(template.New("u").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>parley: {{.Title}}</title></head>
<body style="font-family:sans-serif;max-width:32em;margin:2em auto;padding:0 1em">
<h1 style="font-size:1.3em">{{.Title}}</h1><p>{{.Text}}</p>
{{if .Form}}<form method="post"><input type="hidden" name="List-Unsubscribe" value="One-Click">
<button type="submit">Stop emails from {{.Room}}</button></form>{{end}}
</body></html>
`))

type page struct {
	Title, Text, Room string
	Form              bool
}

// resolve finds the room and member of an unsubscribe token.
func (h *handler) resolve(w http.ResponseWriter, r *http.Request) (threads.Room, string, bool) {
	room, member, err := h.store.Auth.ResolveUnsubscribeToken(r.Context(), r.PathValue("token"))
	if errors.Is(err, threads.ErrBadToken) {
		h.html(w, http.StatusNotFound, page{Title: "Unknown link", Text: "This unsubscribe link is not valid. Use the link of a recent email from the room."})
		return threads.Room{}, "", false
	}
	if err != nil {
		h.log.Error("unsubscribe", "err", err)
		h.html(w, http.StatusServiceUnavailable, page{Title: "Try again", Text: "parley cannot reach its store just now. Please try again in a minute."})
		return threads.Room{}, "", false
	}
	rm, err := h.store.Chat.Room(r.Context(), room)
	if err != nil {
		h.html(w, http.StatusNotFound, page{Title: "Room gone", Text: "That room no longer exists; no more emails will come from it."})
		return threads.Room{}, "", false
	}
	return rm, member, true
}

// unsubscribePage shows a button: a GET never changes anything (mail
// scanners follow links).
func (h *handler) unsubscribePage(w http.ResponseWriter, r *http.Request) {
	room, _, ok := h.resolve(w, r)
	if !ok {
		return
	}
	h.html(w, http.StatusOK, page{Title: "Stop emails from " + room.Name + "?", Room: room.Name, Form: true,
		Text: "You will still see the room live and in your digest."})
}

// readOneClickForm reads the small form of an unsubscribe POST (RFC 8058
// one-click, or the page's button); it answers 400 and returns false when
// the form is malformed or too large.
func readOneClickForm(w http.ResponseWriter, r *http.Request) bool {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		writeJSON(w, http.StatusBadRequest, apiError{Error: "form body is malformed or too large", Code: "bad_form"})
		return false
	}
	return true
}

// unsubscribe mutes the room for the member: RFC 8058 one-click (a POST
// with List-Unsubscribe=One-Click) or the page's button.
func (h *handler) unsubscribe(w http.ResponseWriter, r *http.Request) {
	if !readOneClickForm(w, r) {
		return
	}
	room, member, ok := h.resolve(w, r)
	if !ok {
		return
	}
	err := h.store.Chat.SetMuted(r.Context(), room.ID, member, true)
	switch {
	case errors.Is(err, threads.ErrNotMember):
		// Already gone from the room: nothing more will come.
	case err != nil:
		h.log.Error("unsubscribe", "room", room.ID, "member", member, "err", err)
		h.html(w, http.StatusServiceUnavailable, page{Title: "Try again", Text: "parley cannot reach its store just now. Please try again in a minute."})
		return
	}
	h.log.Info("unsubscribed", "room", room.ID, "member", member)
	h.html(w, http.StatusOK, page{Title: "Done", Text: "No more emails from " + room.Name + ". You will still see it live and in your digest."})
}

func (h *handler) html(w http.ResponseWriter, status int, p page) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	if err := unsubscribeTmpl.Execute(w, p); err != nil {
		h.log.Warn("render page", "err", err)
	}
}
