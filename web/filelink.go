package web

import (
	"errors"
	"io"
	"mime"
	"net/http"

	"parley/internal/blobs"
	"parley/internal/filelink"
	"parley/threads"
)

// Signed file links (threads/filelink.go): GET /f/TOKEN/NAME downloads the
// file without a session; a link past its expiry shows a page that offers
// to email a fresh one to the member it was made for (POST).

// fileLinkRoutes mounts the file links.
func (h *handler) fileLinkRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /f/{token}/{name}", h.fileLink)
	mux.HandleFunc("POST /f/{token}/{name}", h.freshFileLink)
}

// fileLinkData is what filelink.html receives.
type fileLinkData struct {
	// Expired: the link verified but is too old; the page offers a fresh one.
	Expired bool
	// Sent: a fresh link was emailed.
	Sent bool
	// Name is the file's name (when known); Room its room's name.
	Name, Room  string
	Token, Path string
}

// fileLink sends the file a link opens.
func (h *handler) fileLink(w http.ResponseWriter, r *http.Request) {
	if err := h.limit(clientKey(r)); err != nil {
		h.pageFail(w, r, nil, err)
		return
	}
	g, err := h.store.Auth.ResolveFileToken(r.Context(), r.PathValue("token"))
	if h.fileLinkRefused(w, r, g, err) {
		return
	}
	if h.opts.Blobs == nil {
		h.fileLinkPage(w, r, http.StatusNotFound, "This file is no longer kept", fileLinkData{Name: g.File.Name})
		return
	}
	f, meta, err := h.opts.Blobs.Open(g.File.ID)
	if errors.Is(err, blobs.ErrNotFound) {
		h.fileLinkPage(w, r, http.StatusNotFound, "This file is no longer kept", fileLinkData{Name: g.File.Name})
		return
	}
	if err != nil {
		h.pageFail(w, r, nil, err)
		return
	}
	defer f.Close()
	ct, err := downloadType(f)
	if err != nil {
		h.pageFail(w, r, nil, err)
		return
	}
	h.log.Info("file link used", "room", g.Room, "member", g.Member, "bytes", meta.Size, "type", ct)
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": g.File.Name}))
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; sandbox")
	w.Header().Set("Referrer-Policy", "no-referrer")
	w.Header().Set("Cache-Control", "private, no-store")
	http.ServeContent(w, r, "", meta.Created, f)
}

// fileLinkRefused answers a link that does not open a file, and reports
// whether it did.
func (h *handler) fileLinkRefused(w http.ResponseWriter, r *http.Request, g threads.FileGrant, err error) bool {
	switch {
	case err == nil:
		return false
	case errors.Is(err, threads.ErrLinkExpired):
		d := fileLinkData{Expired: true, Name: g.File.Name, Token: r.PathValue("token"), Path: r.URL.Path}
		if room, rerr := h.store.Chat.Room(r.Context(), g.Room); rerr == nil {
			d.Room = room.Name
		}
		h.fileLinkPage(w, r, http.StatusGone, "This link has expired", d)
	case errors.Is(err, threads.ErrFileGone):
		h.fileLinkPage(w, r, http.StatusGone, "This file is no longer kept", fileLinkData{})
	case errors.Is(err, threads.ErrBadToken):
		h.fileLinkPage(w, r, http.StatusNotFound, "This link does not work", fileLinkData{})
	default:
		h.pageFail(w, r, nil, err)
	}
	return true
}

func (h *handler) fileLinkPage(w http.ResponseWriter, r *http.Request, status int, title string, d fileLinkData) {
	v := view{Title: title, Data: d}
	if d.Expired {
		v.CSRF = h.preToken(w, r)
	}
	h.render(w, r, status, "filelink.html", v)
}

// freshFileLink emails the member an expired link was made for a fresh
// one, to the address parley knows them by: whoever holds the old link
// gets nothing new.
func (h *handler) freshFileLink(w http.ResponseWriter, r *http.Request) {
	if !h.signinForm(w, r) {
		return
	}
	g, err := h.store.Auth.ResolveFileToken(r.Context(), r.PathValue("token"))
	if err == nil {
		// Still good: nothing to renew, take the file.
		http.Redirect(w, r, r.URL.Path, http.StatusSeeOther)
		return
	}
	if !errors.Is(err, threads.ErrLinkExpired) {
		h.fileLinkRefused(w, r, g, err)
		return
	}
	u, err := h.store.Directory.User(r.Context(), g.Member)
	if err != nil {
		h.pageFail(w, r, nil, err)
		return
	}
	d := fileLinkData{Name: g.File.Name}
	room, err := h.store.Chat.Room(r.Context(), g.Room)
	if err != nil {
		h.pageFail(w, r, nil, err)
		return
	}
	d.Room = room.Name
	if u.Email() == "" {
		h.fileLinkPage(w, r, http.StatusConflict, "No address to send a fresh link to", d)
		return
	}
	tok, err := h.store.Auth.FileToken(g.FileRef, g.File.ID, u.TokenGen, h.opts.Now().Add(h.opts.FileLinkTTL))
	if err != nil {
		h.pageFail(w, r, nil, err)
		return
	}
	if _, err := h.store.Queue.QueueNotice(r.Context(), threads.Notice{To: u.Email(), Name: u.Name, Kind: threads.NoticeFileLink,
		Title: g.File.Name, Text: room.Name, Link: filelink.URL(h.opts.PublicURL, tok, g.File.Name)}); err != nil {
		h.pageFail(w, r, nil, err)
		return
	}
	h.log.Info("fresh file link queued", "room", g.Room, "member", g.Member)
	d.Sent = true
	h.fileLinkPage(w, r, http.StatusOK, "A fresh link is on its way", d)
}

// downloadType is the media type a file is served with: what its first
// bytes say (http.DetectContentType), never HTML or XML, which a browser
// could run. f is read back to its start.
func downloadType(f io.ReadSeeker) (string, error) {
	head := make([]byte, 512)
	n, err := io.ReadFull(f, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return "", err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return "", err
	}
	ct := http.DetectContentType(head[:n])
	mt, _, _ := mime.ParseMediaType(ct)
	switch mt {
	case "text/html", "text/xml", "image/svg+xml":
		return "text/plain; charset=utf-8", nil
	}
	return ct, nil
}
