// Package blobs keeps the files members send (email attachments, MMS
// media) in a folder, named by the SHA-256 of their content, with a small
// JSON record of name, type and size beside each. With a data key
// (PARLEY_DATA_KEY, internal/sealbox) the content is sealed on disk; the
// name (the SHA-256 of the content) and the record are not.
package blobs

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"time"

	"parley/internal/sealbox"
)

// Meta describes a stored file.
type Meta struct {
	ID      string    `json:"id"`
	Name    string    `json:"name"`
	Type    string    `json:"type"`
	Size    int64     `json:"size"`
	Created time.Time `json:"created"`
}

// ErrNotFound: no file has that id.
var ErrNotFound = errors.New("no such file")

// ErrTooLarge: the file is over the store's size limit.
var ErrTooLarge = errors.New("file too large")

// Store is a folder of files.
type Store struct {
	dir     string
	maxSize int64
	box     *sealbox.Box
}

// New returns a store in dir (created when missing) that refuses files
// over maxSize bytes.
func New(dir string, maxSize int64) (*Store, error) {
	return NewSealed(dir, maxSize, nil)
}

// NewSealed is New with a data key: files are sealed under box as they
// are stored, and files stored before the key (plaintext) or under its
// previous key still open. A nil box is New.
func NewSealed(dir string, maxSize int64, box *sealbox.Box) (*Store, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("blob folder %s: %w", dir, err)
	}
	return &Store{dir: dir, maxSize: maxSize, box: box}, nil
}

var idPattern = regexp.MustCompile(`^[0-9a-f]{64}$`)

func (s *Store) path(id string) string { return filepath.Join(s.dir, id[:2], id) }

// Put stores the content of r and returns its record. Storing the same
// content twice keeps one copy.
func (s *Store) Put(_ context.Context, name, contentType string, r io.Reader) (Meta, error) {
	tmp, err := os.CreateTemp(s.dir, ".upload-*")
	if err != nil {
		return Meta{}, fmt.Errorf("store %s: %w", name, err)
	}
	defer os.Remove(tmp.Name())
	h := sha256.New()
	var n int64
	if s.box == nil {
		n, err = io.Copy(io.MultiWriter(tmp, h), io.LimitReader(r, s.maxSize+1))
	} else {
		n, err = s.sealTo(tmp, h, r)
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return Meta{}, fmt.Errorf("store %s: %w", name, err)
	}
	if n > s.maxSize {
		return Meta{}, fmt.Errorf("store %s: %w (limit %d bytes)", name, ErrTooLarge, s.maxSize)
	}
	m := Meta{ID: hex.EncodeToString(h.Sum(nil)), Name: name, Type: contentType, Size: n, Created: time.Now().UTC()}
	if err := os.MkdirAll(filepath.Dir(s.path(m.ID)), 0o750); err != nil {
		return Meta{}, fmt.Errorf("store %s: %w", name, err)
	}
	if err := os.Rename(tmp.Name(), s.path(m.ID)); err != nil {
		return Meta{}, fmt.Errorf("store %s: %w", name, err)
	}
	meta, _ := json.Marshal(m)
	if err := os.WriteFile(s.path(m.ID)+".json", meta, 0o640); err != nil {
		return Meta{}, fmt.Errorf("store %s: %w", name, err)
	}
	return m, nil
}

// sealTo reads r (up to the limit), hashes the plaintext into h and
// writes it sealed to w. It holds the file in memory: a sealed value is
// one AES-GCM message.
func (s *Store) sealTo(w io.Writer, h io.Writer, r io.Reader) (int64, error) {
	data, err := io.ReadAll(io.LimitReader(r, s.maxSize+1))
	if err != nil || int64(len(data)) > s.maxSize {
		return int64(len(data)), err
	}
	h.Write(data)
	_, err = w.Write(s.box.Seal(data))
	return int64(len(data)), err
}

// Open returns a stored file and its record.
func (s *Store) Open(id string) (io.ReadSeekCloser, Meta, error) {
	if !idPattern.MatchString(id) {
		return nil, Meta{}, ErrNotFound
	}
	data, err := os.ReadFile(s.path(id) + ".json")
	if errors.Is(err, os.ErrNotExist) {
		return nil, Meta{}, ErrNotFound
	}
	if err != nil {
		return nil, Meta{}, fmt.Errorf("open file %s: %w", id, err)
	}
	var m Meta
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, Meta{}, fmt.Errorf("open file %s: %w", id, err)
	}
	f, err := os.Open(s.path(id))
	if err != nil {
		return nil, Meta{}, fmt.Errorf("open file %s: %w", id, err)
	}
	head := make([]byte, sealbox.Overhead)
	k, _ := io.ReadFull(f, head)
	if !sealbox.IsSealed(head[:k]) {
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			f.Close()
			return nil, Meta{}, fmt.Errorf("open file %s: %w", id, err)
		}
		return f, m, nil
	}
	sealed, err := io.ReadAll(io.MultiReader(bytes.NewReader(head[:k]), f))
	f.Close()
	if err != nil {
		return nil, Meta{}, fmt.Errorf("open file %s: %w", id, err)
	}
	plain, err := s.box.Open(sealed)
	if err != nil {
		return nil, Meta{}, fmt.Errorf("open file %s: %w", id, err)
	}
	return opened{bytes.NewReader(plain)}, m, nil
}

// opened is an opened sealed file, held in memory.
type opened struct{ *bytes.Reader }

func (opened) Close() error { return nil }

// Delete removes a stored file and its record; a file that is not there
// is no error.
func (s *Store) Delete(id string) error {
	if !idPattern.MatchString(id) {
		return ErrNotFound
	}
	for _, p := range []string{s.path(id) + ".json", s.path(id)} {
		if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("delete file %s: %w", id, err)
		}
	}
	return nil
}

// ResealProgress is where Reseal is: files seen of those found, and how
// many it sealed again.
type ResealProgress struct {
	Files, Done, Resealed int
}

// Reseal seals again, under the current key, every file that is under
// the previous key or plaintext (parley admin rekey), calling report after
// each. Like threads.Store.Rekey it is idempotent: files already under the
// current key are left alone, so a run that stopped is run again.
func (s *Store) Reseal(ctx context.Context, report func(ResealProgress)) (ResealProgress, error) {
	var p ResealProgress
	if s.box == nil {
		return p, errors.New("reseal files: no data key")
	}
	files, err := filepath.Glob(filepath.Join(s.dir, "??", "*"))
	if err != nil {
		return p, fmt.Errorf("reseal files: %w", err)
	}
	var ids []string
	for _, f := range files {
		if id := filepath.Base(f); idPattern.MatchString(id) && filepath.Base(filepath.Dir(f)) == id[:2] {
			ids = append(ids, id)
		}
	}
	p.Files = len(ids)
	for _, id := range ids {
		if err := ctx.Err(); err != nil {
			return p, err
		}
		did, err := s.reseal(id)
		if err != nil {
			return p, err
		}
		p.Done++
		if did {
			p.Resealed++
		}
		if report != nil {
			report(p)
		}
	}
	return p, nil
}

// reseal seals one file again when it is not under the current key.
func (s *Store) reseal(id string) (bool, error) {
	data, err := os.ReadFile(s.path(id))
	if errors.Is(err, os.ErrNotExist) {
		return false, nil // deleted meanwhile
	}
	if err != nil {
		return false, fmt.Errorf("reseal file %s: %w", id, err)
	}
	if !s.box.Stale(data) {
		return false, nil
	}
	plain, err := s.box.Open(data)
	if err != nil {
		return false, fmt.Errorf("reseal file %s: %w", id, err)
	}
	tmp, err := os.CreateTemp(s.dir, ".reseal-*")
	if err != nil {
		return false, fmt.Errorf("reseal file %s: %w", id, err)
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.Write(s.box.Seal(plain))
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), s.path(id))
	}
	if err != nil {
		return false, fmt.Errorf("reseal file %s: %w", id, err)
	}
	return true, nil
}
