package web

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"slices"
	"strings"

	"parley/internal/blobs"
	"parley/internal/filesafe"
	"parley/threads"
)

// uploadMemory is how much of a multipart upload is held in memory; the
// rest goes to a temporary file.
const uploadMemory = 1 << 20

// uploadFile stores one file (form field "file", with an optional "text")
// and posts it as the caller's line in the room.
func (h *handler) uploadFile(w http.ResponseWriter, r *http.Request, me *who) error {
	room, err := h.memberRoom(r.Context(), me, r.PathValue("id"))
	if err != nil {
		return err
	}
	h.limitBody(w, r)
	p, err := h.upload(r, me, room)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, p)
	return nil
}

// upload reads the multipart form of r (its body already capped), keeps
// the file and posts the line.
func (h *handler) upload(r *http.Request, me *who, room threads.Room) (threads.Posted, error) {
	if h.opts.Blobs == nil {
		return threads.Posted{}, errf(http.StatusServiceUnavailable, "no_files", "this parley keeps no files (PARLEY_BLOB_DIR is not set)")
	}
	if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct != "multipart/form-data" {
		return threads.Posted{}, errf(http.StatusUnsupportedMediaType, "content_type", "send the file as multipart/form-data, field \"file\"")
	}
	if err := r.ParseMultipartForm(uploadMemory); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return threads.Posted{}, errf(http.StatusRequestEntityTooLarge, "too_large", "the file is larger than %d bytes", h.opts.MaxUploadBytes)
		}
		return threads.Posted{}, errf(http.StatusBadRequest, "bad_form", "the upload is not a readable multipart form")
	}
	defer func() { _ = r.MultipartForm.RemoveAll() }()
	f, fh, err := r.FormFile("file")
	if err != nil {
		return threads.Posted{}, errf(http.StatusBadRequest, "no_file", "the form has no file in the field \"file\"")
	}
	defer f.Close()
	name := filesafe.CleanName(fh.Filename)
	ct, err := h.fileType(f, fh)
	if err != nil {
		return threads.Posted{}, err
	}
	meta, err := h.opts.Blobs.Put(r.Context(), name, ct, f)
	if errors.Is(err, blobs.ErrTooLarge) {
		return threads.Posted{}, errf(http.StatusRequestEntityTooLarge, "too_large", "the file is larger than %d bytes", h.opts.MaxUploadBytes)
	}
	if err != nil {
		return threads.Posted{}, fmt.Errorf("store upload %s: %w", name, err)
	}
	att := threads.Attachment{ID: meta.ID, Name: name, Type: ct, Size: meta.Size}
	text := strings.TrimSpace(r.FormValue("text"))
	p, err := h.store.Chat.Post(r.Context(), threads.NewLine{Room: room.ID, Author: me.user.ID, AuthorName: me.user.Name, Text: text,
		Origin: me.origin(), Attachments: []threads.Attachment{att}})
	if err != nil {
		return threads.Posted{}, err
	}
	h.log.Info("file posted", "room", room.ID, "member", me.user.ID, "bytes", meta.Size, "type", ct)
	return p, nil
}

// fileType is the media type of an upload, from its first bytes with the
// client's word where the bytes agree or cannot say more
// (filesafe.SniffType, as for every door). It must be allowed; HTML and
// XML are never taken, whatever they are called.
func (h *handler) fileType(f multipart.File, fh *multipart.FileHeader) (string, error) {
	head := make([]byte, 512)
	n, err := io.ReadFull(f, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read upload: %w", err)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return "", fmt.Errorf("read upload: %w", err)
	}
	if n == 0 {
		return "", errf(http.StatusBadRequest, "empty_file", "the file is empty")
	}
	declared, _, _ := mime.ParseMediaType(fh.Header.Get("Content-Type"))
	ct := filesafe.SniffType(head[:n], declared)
	if ct == "text/html" || ct == "text/xml" || !filesafe.TypeAllowed(h.opts.AllowedTypes, ct) {
		return "", errf(http.StatusUnsupportedMediaType, "file_type", "files of type %s are not accepted", ct)
	}
	return ct, nil
}

// downloadFile sends a file attached to a line of the room:
// GET /api/rooms/{id}/files/{file}?line=LINE. Only members of the room
// get it, and only through a line that holds it.
func (h *handler) downloadFile(w http.ResponseWriter, r *http.Request, me *who) error {
	room, err := h.memberRoom(r.Context(), me, r.PathValue("id"))
	if err != nil {
		return err
	}
	return h.sendFile(r.Context(), w, r, room, r.PathValue("file"), r.URL.Query().Get("line"))
}

var errNoFile = errf(http.StatusNotFound, "not_found", "no such file in this room")

func (h *handler) sendFile(ctx context.Context, w http.ResponseWriter, r *http.Request, room threads.Room, file, lineID string) error {
	if h.opts.Blobs == nil || lineID == "" {
		return errNoFile
	}
	line, err := h.store.Chat.Line(ctx, room.ID, lineID)
	if errors.Is(err, threads.ErrNotFound) || errors.Is(err, threads.ErrInvalid) {
		return errNoFile
	}
	if err != nil {
		return err
	}
	// The line's own name and type: the store keeps one copy of the same
	// bytes posted in several rooms, each under its own name.
	i := slices.IndexFunc(line.Attachments, func(a threads.Attachment) bool { return a.ID == file })
	if i < 0 {
		return errNoFile
	}
	att := line.Attachments[i]
	rc, meta, err := h.opts.Blobs.Open(file)
	if errors.Is(err, blobs.ErrNotFound) {
		return errNoFile
	}
	if err != nil {
		return err
	}
	defer rc.Close()
	ct := cmp.Or(att.Type, meta.Type)
	disp := "attachment"
	if isImage(ct) {
		disp = "inline"
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Content-Disposition", mime.FormatMediaType(disp, map[string]string{"filename": cmp.Or(att.Name, meta.Name)}))
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; sandbox")
	w.Header().Set("Cache-Control", "private, max-age=86400")
	http.ServeContent(w, r, "", meta.Created, rc)
	return nil
}
