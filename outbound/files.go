package outbound

import (
	"io"
	"log/slog"
	"time"

	"parley/internal/blobs"
	"parley/internal/filelink"
	"parley/outbound/mailcompose"
	"parley/threads"
)

// DefaultAttachMax is the largest file attached to a relay email when
// PARLEY_ATTACH_MAX is unset: larger files go as links.
const DefaultAttachMax = 512 << 10

// maxAttachedTotal caps the files attached to one email together; the rest
// go as links.
const maxAttachedTotal = 10 << 20

// FileStore opens stored files (internal/blobs.Store).
type FileStore interface {
	Open(id string) (io.ReadSeekCloser, blobs.Meta, error)
}

var _ FileStore = (*blobs.Store)(nil)

// Files hands out the files of the lines the email and SMS channels carry:
// each member gets their own signed link (threads.Auth.FileToken) and, by
// email, the small files themselves.
type Files struct {
	// Auth signs the links; PublicURL starts them. Without either there
	// are no links, and files are only named.
	Auth      *threads.Auth
	PublicURL string
	// Store opens files to attach; nil: links only.
	Store FileStore
	// TTL is how long a link works (filelink.DefaultTTL when 0).
	TTL time.Duration
	// AttachMax is the largest file attached to an email unless the
	// member set their own (DefaultAttachMax when 0; below 0: links only).
	AttachMax int64
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	Log *slog.Logger
}

func (f *Files) ttl() time.Duration {
	if f.TTL <= 0 {
		return filelink.DefaultTTL
	}
	return f.TTL
}

// Link is member's signed link to the file at place i of line l; "" when
// no link can be made.
func (f *Files) Link(member threads.User, l threads.Line, i int) string {
	if f == nil || f.Auth == nil || f.PublicURL == "" || i >= len(l.Attachments) {
		return ""
	}
	now := time.Now
	if f.Now != nil {
		now = f.Now
	}
	a := l.Attachments[i]
	tok, err := f.Auth.FileToken(threads.FileRef{Room: l.Room, Line: l.ID, Index: i, Member: member.ID}, a.ID,
		member.TokenGen, now().Add(f.ttl()))
	if err != nil {
		f.log().Warn("no file link", "room", l.Room, "line", l.ID, "err", err)
		return ""
	}
	return filelink.URL(f.PublicURL, tok, a.Name)
}

func (f *Files) log() *slog.Logger {
	if f.Log == nil {
		return slog.Default()
	}
	return f.Log
}

// attachLimit is the largest file attached to member's emails.
func (f *Files) attachLimit(member threads.User) int64 {
	def := f.AttachMax
	if def == 0 {
		def = DefaultAttachMax
	}
	return member.Prefs.AttachLimit(max(def, 0))
}

// ForEmail returns how the parcel's files go in the member's email: the
// small ones attached (up to the member's limit each, maxAttachedTotal in
// all), the others as links.
func (f *Files) ForEmail(d Parcel) map[string]mailcompose.RelayFile {
	if f == nil {
		return nil
	}
	limit := f.attachLimit(d.Member)
	total := int64(0)
	out := map[string]mailcompose.RelayFile{}
	for _, l := range d.Lines {
		for i, a := range l.Attachments {
			rf := mailcompose.RelayFile{}
			if f.Store != nil && a.Size <= limit && total+a.Size <= maxAttachedTotal {
				rf.Data = f.read(a.ID, limit)
				total += int64(len(rf.Data))
			}
			if rf.Data == nil {
				rf.Link = f.Link(d.Member, l, i)
			}
			if rf.Data != nil || rf.Link != "" {
				out[mailcompose.FileKey(l.ID, i)] = rf
			}
		}
	}
	return out
}

// read returns a stored file of at most limit bytes, or nil.
func (f *Files) read(id string, limit int64) []byte {
	rc, meta, err := f.Store.Open(id)
	if err != nil {
		f.log().Warn("file to attach", "file", id[:min(12, len(id))], "err", err)
		return nil
	}
	defer rc.Close()
	if meta.Size > limit {
		return nil
	}
	b, err := io.ReadAll(io.LimitReader(rc, limit+1))
	if err != nil || int64(len(b)) > limit {
		return nil
	}
	return b
}

// digestLinks adds to links member's links to the files of a digest room's
// lines (a digest attaches nothing) and returns it.
func (f *Files) digestLinks(links map[string]mailcompose.RelayFile, member threads.User, r threads.DigestRoom) map[string]mailcompose.RelayFile {
	if f == nil {
		return links
	}
	for _, ls := range [][]threads.Line{r.First, r.Last} {
		for _, l := range ls {
			for i := range l.Attachments {
				if link := f.Link(member, l, i); link != "" {
					if links == nil {
						links = map[string]mailcompose.RelayFile{}
					}
					links[mailcompose.FileKey(l.ID, i)] = mailcompose.RelayFile{Link: link}
				}
			}
		}
	}
	return links
}
