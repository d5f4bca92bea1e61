package web

import (
	"cmp"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"mime"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"parley/threads"
)

// The page: server-rendered HTML that works without JavaScript (reading,
// posting, status, profile, tokens; every form carries the session's CSRF
// token), and static/app.js, which adds live updates over the stream.

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// pageTmpl holds every page template.
var pageTmpl = template.Must(template.New("").Funcs(template.FuncMap{
	"when":      when,
	"iso":       func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
	"size":      humanSize,
	"reachText": reachText,
	"stateText": stateText,
	"escText":   escText,
	"join":      strings.Join,
	"dict":      dict,
	"rich":      richText,
	"clock":     func(t time.Time, loc *time.Location) string { return t.In(loc).Format("15:04") },
	"isImage":   isImage,
}).ParseFS(templateFS, "templates/*.html"))

// dict makes a map of its key and value arguments, to hand several values
// to a template.
func dict(kv ...any) (map[string]any, error) {
	if len(kv)%2 != 0 {
		return nil, errors.New("dict needs key and value pairs")
	}
	m := make(map[string]any, len(kv)/2)
	for i := 0; i < len(kv); i += 2 {
		k, ok := kv[i].(string)
		if !ok {
			return nil, errors.New("dict keys are strings")
		}
		m[k] = kv[i+1]
	}
	return m, nil
}

// assetVersion changes with the static files, so they can be cached for good.
var assetVersion = func() string {
	h := sha256.New()
	_ = fs.WalkDir(staticFS, "static", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			b, _ := staticFS.ReadFile(p)
			h.Write(b)
		}
		return nil
	})
	return hex.EncodeToString(h.Sum(nil))[:12]
}()

// view is what every page template gets.
type view struct {
	Title string
	// Me is the signed-in member (nil on the sign-in pages); CSRF their
	// session's token, put in every form.
	Me   *threads.User
	CSRF string
	// Loc is the member's time zone; Now the time of rendering.
	Loc *time.Location
	Now time.Time
	// V is the static files' version; Script adds app.js.
	V      string
	Script bool
	// Path is the page's own path, where the status form comes back to.
	Path   string
	Notice string
	Error  string
	Data   any
	// IdleMS is the idle time in milliseconds: the page reports activity
	// often enough that an active member never idles between reports.
	IdleMS int64
	// Sheet is the page's inline style (page_assets.go).
	Sheet sheet
}

// pageRoutes mounts the page and its static files.
func (h *handler) pageRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /static/{name}", gzipped(h.static))
	mux.HandleFunc("GET /favicon.ico", gzipped(h.favicon))
	mux.HandleFunc("GET /signin", gzipped(h.signinPage))
	mux.HandleFunc("POST /signin", gzipped(h.signinRequest))
	mux.HandleFunc("GET /signin/{token}", gzipped(h.signinConfirm))
	mux.HandleFunc("POST /signin/{token}", gzipped(h.signinConsume))
	mux.HandleFunc("POST /signin/code", gzipped(h.signinCodeConsume))
	mux.HandleFunc("GET /signin/code", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/signin", http.StatusSeeOther) })
	mux.HandleFunc("POST /signout", h.page(h.signout))
	mux.HandleFunc("GET /{$}", h.page(h.home))
	mux.HandleFunc("GET /rooms/{id}", h.page(h.roomPage))
	mux.HandleFunc("POST /rooms/{id}/lines", h.page(h.roomPost))
	mux.HandleFunc("POST /rooms/{id}/files", h.page(h.roomUpload))
	mux.HandleFunc("POST /me/status", h.page(h.statusForm))
	mux.HandleFunc("GET /me", h.page(h.profilePage))
	mux.HandleFunc("POST /me", h.page(h.profileForm))
	mux.HandleFunc("POST /me/phone/verify", h.page(h.phoneVerifyForm)) // phonecode.go
	mux.HandleFunc("POST /me/phone/confirm", h.page(h.phoneConfirmForm))
	mux.HandleFunc("POST /me/key", h.page(h.keyForm)) // page_key.go
	mux.HandleFunc("POST /me/key/remove", h.page(h.keyRemoveForm))
	mux.HandleFunc("GET /tokens", h.page(h.tokensPage))
	mux.HandleFunc("POST /tokens", h.page(h.tokensCreate))
	mux.HandleFunc("POST /tokens/{id}/revoke", h.page(h.tokensRevoke))
	h.peoplePageRoutes(mux)
	h.startPageRoutes(mux)
	h.adminPageRoutes(mux)
}

// page wraps a page handler: a browser without a session goes to the
// sign-in page; a form must carry the session's CSRF token; errors become
// an HTML page with the right status.
func (h *handler) page(fn func(w http.ResponseWriter, r *http.Request, me *who) error) http.HandlerFunc {
	return gzipped(func(w http.ResponseWriter, r *http.Request) {
		me, err := h.identify(r)
		if err == nil && me == nil {
			to := "/signin"
			if r.Method == http.MethodGet && r.URL.Path != "/" {
				to += "?next=" + url.QueryEscape(r.URL.RequestURI())
			}
			http.Redirect(w, r, to, http.StatusSeeOther)
			return
		}
		if err == nil && me.session == nil {
			err = errf(http.StatusUnauthorized, "unauthenticated", "the page is for browsers; scripts use the API under /api/")
		}
		if err == nil {
			err = h.limit("u:" + me.user.ID)
		}
		if err == nil && r.Method == http.MethodPost {
			err = h.parseForm(w, r)
			if err == nil && !sameToken(r.PostFormValue("csrf"), me.session.CSRF) {
				err = errCSRF
			}
		}
		if err == nil {
			// A form sent is a person at the page; a page fetched may be
			// a tab opened in the background: open, not used (the page
			// script reports activity).
			b := threads.Beat{Activity: threads.Connected}
			if r.Method == http.MethodPost {
				b.Activity = threads.Active
			}
			if err := h.store.Chat.Heartbeat(r.Context(), me.user.ID, b); err != nil && r.Context().Err() == nil {
				h.log.Warn("heartbeat from the page", "member", me.user.ID, "err", err)
			}
			err = fn(w, r, me)
		}
		if err != nil {
			h.pageFail(w, r, me, err)
		}
	})
}

// parseForm reads a form body (an upload or a plain form), capped.
func (h *handler) parseForm(w http.ResponseWriter, r *http.Request) error {
	h.limitBody(w, r)
	var err error
	if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct == "multipart/form-data" {
		err = r.ParseMultipartForm(uploadMemory)
	} else {
		err = r.ParseForm()
	}
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		return errf(http.StatusRequestEntityTooLarge, "too_large", "what you sent is too large (files: at most %s)", humanSize(h.opts.MaxUploadBytes))
	case err != nil:
		return errf(http.StatusBadRequest, "bad_form", "the form could not be read")
	}
	return nil
}

// render writes a page.
func (h *handler) render(w http.ResponseWriter, r *http.Request, status int, name string, v view) {
	v.V, v.Sheet = assetVersion, sheetFor(name)
	if v.Loc == nil {
		v.Loc = time.UTC
	}
	if v.Now.IsZero() {
		v.Now = h.opts.Now()
	}
	if v.Path == "" {
		v.Path = r.URL.Path
	}
	if v.Notice == "" && v.Me != nil && r.URL.Query().Get("status") == "set" {
		v.Notice = "Your status is set."
	}
	if v.IdleMS == 0 && v.Me != nil {
		th, err := h.store.Chat.Thresholds(r.Context())
		if err != nil {
			th.IdleAfter = h.store.Chat.Options().IdleAfter // the page adapts at its next load
		}
		v.IdleMS = th.IdleAfter.Milliseconds()
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("X-Frame-Options", "DENY")
	w.Header().Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self' '"+v.Sheet.Hash+"'; script-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
	w.Header().Set("Referrer-Policy", "no-referrer")
	w.WriteHeader(status)
	if err := pageTmpl.ExecuteTemplate(w, name, v); err != nil {
		h.log.Warn("render page", "page", name, "err", err)
	}
}

// viewFor starts the view of a signed-in member's page.
func viewFor(me *who, title string) view {
	u := me.user
	return view{Title: title, Me: &u, CSRF: me.session.CSRF, Loc: u.Location(), Script: true}
}

// errorData is what error.html shows.
type errorData struct {
	Status int
	Msg    string
}

// pageFail answers a page request with an error page.
func (h *handler) pageFail(w http.ResponseWriter, r *http.Request, me *who, err error) {
	if r.Context().Err() != nil {
		return
	}
	he := classify(err)
	if he.status >= 500 {
		h.log.Error("page failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	if he.status == http.StatusUnauthorized || (he.status == http.StatusForbidden && he.code == "disabled") {
		h.setCookie(w, sessionCookie, "", -1)
	}
	if he.retryAfter > 0 {
		w.Header().Set("Retry-After", fmt.Sprint(int(he.retryAfter/time.Second)+1))
	}
	v := view{Title: http.StatusText(he.status)}
	if me != nil && me.session != nil {
		v = viewFor(me, http.StatusText(he.status))
		v.Script = false
	}
	v.Data = errorData{Status: he.status, Msg: he.msg}
	h.render(w, r, he.status, "error.html", v)
}

// static serves the embedded script and style sheet; with the current
// version in ?v= they are cached for good.
func (h *handler) static(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	b, err := staticFS.ReadFile("static/" + name)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	if name == "app.js" {
		b = slimJS(b)
	}
	ct := mime.TypeByExtension(path.Ext(name))
	if ct == "" {
		ct = "application/octet-stream"
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("ETag", `"`+assetVersion+`"`)
	if r.URL.Query().Get("v") == assetVersion {
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		w.Header().Set("Cache-Control", "no-cache")
	}
	if r.Header.Get("If-None-Match") == `"`+assetVersion+`"` {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	_, _ = w.Write(b)
}

// backTo is where a form sends the browser afterwards: a local path the
// form named, or fallback.
func backTo(r *http.Request, fallback string) string {
	if b := r.PostFormValue("back"); localPath(b) {
		return b
	}
	return fallback
}

// localPath reports whether p is a path on this site (not another host's
// address in disguise), safe to redirect to.
func localPath(p string) bool {
	u, err := url.Parse(p)
	return err == nil && strings.HasPrefix(p, "/") && !strings.HasPrefix(p, "//") && u.Host == "" && u.Scheme == "" &&
		!strings.ContainsAny(p, "\\\r\n")
}

// withQuery adds a query parameter to a local path.
func withQuery(p, key, value string) string {
	u, err := url.Parse(p)
	if err != nil {
		return p
	}
	q := u.Query()
	q.Set(key, value)
	u.RawQuery = q.Encode()
	return u.String()
}

// when shows a time in loc: the clock for today, with the date otherwise.
func when(t time.Time, loc *time.Location, now time.Time) string {
	lt, ln := t.In(loc), now.In(loc)
	if lt.YearDay() == ln.YearDay() && lt.Year() == ln.Year() {
		return lt.Format("15:04")
	}
	if lt.Year() == ln.Year() {
		return lt.Format("Jan 2, 15:04")
	}
	return lt.Format("Jan 2 2006, 15:04")
}

// humanSize writes a byte count for people.
func humanSize(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.0f KB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}

// reachText says how a member who is not online is being reached:
// "by email", "by text message", "held for the digest (busy)"; "" for a
// member online, who reads live.
func reachText(m memberView) string {
	if m.Unreachable && m.State != threads.StateOnline {
		return "no channel reaches " + m.Name
	}
	switch m.Reach.Channel {
	case threads.Email:
		return "by email"
	case threads.SMS:
		return "by text message"
	case threads.Hold:
		return "held for the digest (" + m.Reach.Reason + ")"
	}
	return ""
}

// escText says when an unseen line to the member goes out again:
// " · escalates to text at 10:32" (in the viewer's zone), or "".
func escText(m memberView, loc *time.Location, now time.Time) string {
	if m.Escalates == nil {
		return ""
	}
	how := map[threads.Channel]string{threads.SMS: "text", threads.Email: "email"}[m.Escalates.Channel]
	return " · escalates to " + cmp.Or(how, string(m.Escalates.Channel)) + " at " + when(m.Escalates.At, loc, now)
}

// stateText is a member's state as the members list shows it: "idle" for
// a member away only because nobody used their page (or any client) lately.
func stateText(m memberView) string {
	if m.Idle && m.State == threads.StateAway {
		return "idle"
	}
	return string(m.State)
}

// home lists the member's rooms.
func (h *handler) home(w http.ResponseWriter, r *http.Request, me *who) error {
	rooms, err := h.store.Chat.RoomsOf(r.Context(), me.user.ID)
	if err != nil {
		return err
	}
	p, err := h.store.Chat.Presence(r.Context(), me.user.ID)
	if err != nil {
		return err
	}
	list, unread, err := h.roomList(r.Context(), me, "")
	if err != nil {
		return err
	}
	v := viewFor(me, withUnread("Your rooms", unread))
	v.Data = struct {
		Rooms    []threads.Room
		Presence threads.Presence
		List     []roomEntry
	}{rooms, p, list}
	h.render(w, r, http.StatusOK, "home.html", v)
	return nil
}

// roomPageLines is how many lines the room page shows at once.
const roomPageLines = 50

// roomData is what room.html shows.
type roomData struct {
	Room     roomView
	Lines    []threads.Line
	Older    string // id to page back from, or ""
	Live     bool   // the newest lines are shown: the script follows the stream
	Last     string
	Presence threads.Presence
	MaxFile  string
	// Rooms is the room list beside the room; Days the day separators
	// (line id -> label) and Cont the lines that continue their author's
	// group (page_reading.go).
	Rooms []roomEntry
	Days  map[string]dayMark
	Cont  map[string]bool
	// HaveKey: the member has a usable key, so a confidential room's lines
	// reach them by email (page_key.go).
	HaveKey bool
}

func (h *handler) roomPage(w http.ResponseWriter, r *http.Request, me *who) error {
	room, err := h.memberRoom(r.Context(), me, r.PathValue("id"))
	if err != nil {
		return err
	}
	before := r.URL.Query().Get("before")
	if before != "" && !lineIDPattern.MatchString(before) {
		return errf(http.StatusBadRequest, "invalid", "before=%q is not a line id", before)
	}
	detail, err := h.roomDetail(r.Context(), room.ID)
	if err != nil {
		return err
	}
	lines, err := h.store.Chat.Lines(r.Context(), room.ID, threads.Range{Before: before, Limit: roomPageLines, Newest: true})
	if err != nil {
		return err
	}
	slices.Reverse(lines)
	d := roomData{Room: detail, Lines: lines, Live: before == "", MaxFile: humanSize(h.opts.MaxUploadBytes)}
	if detail.Confidential {
		if d.HaveKey, err = h.hasUsableKey(r.Context(), me.user.ID); err != nil {
			return err
		}
	}
	if len(lines) == roomPageLines {
		d.Older = lines[0].ID
	}
	if len(lines) > 0 {
		// Not marked read here: the page script does, once the line has
		// been on screen in a visible, focused page (a tab opened in the
		// background reads nothing).
		d.Last = lines[len(lines)-1].ID
	}
	for _, m := range detail.Members {
		if m.ID == me.user.ID {
			d.Presence = threads.Presence{User: m.ID, State: m.State, Status: m.Status}
		}
	}
	rooms, unread, err := h.roomList(r.Context(), me, room.ID)
	if err != nil {
		return err
	}
	v := viewFor(me, withUnread(detail.Name, unread))
	d.Rooms = rooms
	d.Days, d.Cont = layoutLines(lines, v.Loc, h.opts.Now())
	v.Data = d
	if r.URL.Query().Get("posted") == "file" {
		v.Notice = "File posted."
	}
	h.render(w, r, http.StatusOK, "room.html", v)
	return nil
}

func (h *handler) roomPost(w http.ResponseWriter, r *http.Request, me *who) error {
	room, err := h.memberRoom(r.Context(), me, r.PathValue("id"))
	if err != nil {
		return err
	}
	if _, ok, err := h.command(r.Context(), me, room, r.PostFormValue("text")); ok {
		if err != nil {
			return err
		}
	} else if _, err := h.store.Chat.Post(r.Context(), threads.NewLine{Room: room.ID, Author: me.user.ID, AuthorName: me.user.Name,
		Text: strings.TrimRight(r.PostFormValue("text"), " \r\n\t"), Origin: threads.FromWeb}); err != nil {
		return err
	}
	http.Redirect(w, r, "/rooms/"+room.ID+"#end", http.StatusSeeOther)
	return nil
}

func (h *handler) roomUpload(w http.ResponseWriter, r *http.Request, me *who) error {
	room, err := h.memberRoom(r.Context(), me, r.PathValue("id"))
	if err != nil {
		return err
	}
	if _, err := h.upload(r, me, room); err != nil {
		return err
	}
	http.Redirect(w, r, "/rooms/"+room.ID+"?posted=file#end", http.StatusSeeOther)
	return nil
}

func (h *handler) statusForm(w http.ResponseWriter, r *http.Request, me *who) error {
	in := statusBody{Availability: threads.Availability(r.PostFormValue("availability")),
		Text: r.PostFormValue("text"), Until: r.PostFormValue("until")}
	st, err := in.status(h.opts.Now())
	if err != nil {
		return err
	}
	if _, err := h.store.Chat.SetStatus(r.Context(), me.user.ID, st); err != nil {
		return err
	}
	http.Redirect(w, r, withQuery(backTo(r, "/"), "status", "set"), http.StatusSeeOther)
	return nil
}

// profileData is what me.html shows.
type profileData struct {
	User      threads.User
	Interests string
	Presence  threads.Presence
	// Fields are the admin-defined fields with the member's values.
	Fields []fieldValue
	Digest threads.DigestFrequency
	// Away and Offline are the channel preferences ("" for the default);
	// Quiet the quiet hours (zero when none); AutoReply on or off.
	Away, Offline threads.Channel
	Quiet         threads.QuietHours
	AutoReply     string
	// Key is the Encryption section (page_key.go).
	Key keySection
}

func (h *handler) profileView(r *http.Request, me *who, u threads.User) (view, error) {
	p, err := h.store.Chat.Presence(r.Context(), u.ID)
	if err != nil {
		return view{}, err
	}
	defs, err := h.store.Directory.ProfileFields(r.Context())
	if err != nil {
		return view{}, err
	}
	fields := make([]fieldValue, len(defs))
	for i, d := range defs {
		fields[i] = fieldValue{Name: d.Name, Label: d.Label, Value: u.Profile.Fields[d.Name]}
	}
	v := viewFor(me, "Your profile")
	d := profileData{User: u, Interests: strings.Join(u.Profile.Interests, ", "), Presence: p, Fields: fields,
		Digest: digestOf(u), Away: u.Prefs.Channels[threads.StateAway], Offline: u.Prefs.Channels[threads.StateOffline],
		AutoReply: cmp.Or(u.Prefs.AutoReply, threads.AutoReplyOn)}
	if u.Prefs.Quiet != nil {
		d.Quiet = *u.Prefs.Quiet
	}
	if d.Key, err = h.keySectionFor(r, u); err != nil {
		return view{}, err
	}
	v.Data = d
	return v, nil
}

func (h *handler) profilePage(w http.ResponseWriter, r *http.Request, me *who) error {
	v, err := h.profileView(r, me, me.user)
	if err != nil {
		return err
	}
	switch {
	case r.URL.Query().Get("saved") != "":
		v.Notice = "Saved."
	case r.URL.Query().Get("phone") == "sent":
		v.Notice = fmt.Sprintf("A code is on its way to %s. Type it beside the number: it works once, for %d minutes.",
			me.user.Phone, int(threads.CodeValidity/time.Minute))
	case r.URL.Query().Get("phone") == "verified":
		v.Notice = "Your phone is verified."
	}
	h.render(w, r, http.StatusOK, "me.html", v)
	return nil
}

func (h *handler) profileForm(w http.ResponseWriter, r *http.Request, me *who) error {
	f := func(k string) *string { v := r.PostFormValue(k); return &v }
	list := strings.Split(r.PostFormValue("interests"), ",")
	in := meBody{Name: f("name"), TimeZone: f("tz"), Phone: f("phone"),
		Profile: &profileBody{Title: f("title"), Team: f("team"), Interests: &list, Fields: map[string]string{}}}
	for k, vs := range r.PostForm {
		if name, ok := strings.CutPrefix(k, "field."); ok && len(in.Profile.Fields) < threads.MaxProfileFields {
			in.Profile.Fields[name] = vs[0]
		}
	}
	if d := r.PostFormValue("digest"); d != "" {
		freq := threads.DigestFrequency(d)
		in.Digest = &freq
	}
	if s := strings.TrimSpace(r.PostFormValue("digest_hour")); s != "" {
		hour, err := strconv.Atoi(s)
		if err != nil {
			hour = -1 // threads explains the range
		}
		in.DigestHour = &hour
	}
	if _, ok := r.PostForm["away"]; ok {
		in.Channels = map[threads.State]threads.Channel{
			threads.StateAway:    threads.Channel(cmp.Or(r.PostFormValue("away"), "default")),
			threads.StateOffline: threads.Channel(cmp.Or(r.PostFormValue("offline"), "default")),
		}
		in.Quiet = &threads.QuietHours{From: strings.TrimSpace(r.PostFormValue("quiet_from")),
			To: strings.TrimSpace(r.PostFormValue("quiet_to")), Mode: threads.QuietMode(r.PostFormValue("quiet_mode"))}
		reply := r.PostFormValue("auto_reply")
		in.AutoReply = &reply
	}
	_, err := h.store.Directory.UpdateUser(r.Context(), me.user.ID, in.apply)
	if he := classify(err); err != nil && he.status == http.StatusBadRequest {
		// Show the form again with what was typed and what is wrong.
		typed := me.user
		_ = in.apply(&typed)
		return h.profileRefused(w, r, me, typed, he)
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/me?saved=1", http.StatusSeeOther)
	return nil
}

// profileRefused shows the profile page of u again with why a form was
// refused, at the refusal's status.
func (h *handler) profileRefused(w http.ResponseWriter, r *http.Request, me *who, u threads.User, he *httpError) error {
	v, err := h.profileView(r, me, u)
	if err != nil {
		return err
	}
	v.Error = he.msg
	h.render(w, r, he.status, "me.html", v)
	return nil
}

// tokensData is what tokens.html shows.
type tokensData struct {
	Tokens []threads.APIToken
	// New is a token just made, shown this once.
	New *newToken
}

func (h *handler) tokensView(w http.ResponseWriter, r *http.Request, me *who, status int, made *newToken, problem string) error {
	list, err := h.store.Auth.APITokens(r.Context(), me.user.ID)
	if err != nil {
		return err
	}
	v := viewFor(me, "API tokens")
	v.Data = tokensData{Tokens: list, New: made}
	v.Error = problem
	h.render(w, r, status, "tokens.html", v)
	return nil
}

func (h *handler) tokensPage(w http.ResponseWriter, r *http.Request, me *who) error {
	return h.tokensView(w, r, me, http.StatusOK, nil, "")
}

func (h *handler) tokensCreate(w http.ResponseWriter, r *http.Request, me *who) error {
	secret, t, err := h.store.Auth.NewAPIToken(r.Context(), me.user.ID, r.PostFormValue("name"))
	if errors.Is(err, threads.ErrInvalid) {
		return h.tokensView(w, r, me, http.StatusBadRequest, nil, classify(err).msg)
	}
	if err != nil {
		return err
	}
	h.log.Info("API token created", "member", me.user.ID, "token", t.ID)
	return h.tokensView(w, r, me, http.StatusOK, &newToken{APIToken: t, Token: secret}, "")
}

func (h *handler) tokensRevoke(w http.ResponseWriter, r *http.Request, me *who) error {
	if err := h.store.Auth.RevokeAPIToken(r.Context(), me.user.ID, r.PathValue("id")); err != nil {
		return err
	}
	h.log.Info("API token revoked", "member", me.user.ID, "token", r.PathValue("id"))
	http.Redirect(w, r, "/tokens", http.StatusSeeOther)
	return nil
}
