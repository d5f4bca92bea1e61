// Package blobs keeps the files members send (email attachments, MMS
// media) in a folder, named by the SHA-256 of their content, with a small
// JSON record of name, type and size beside each.
package blobs

import (
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
}

// New returns a store in dir (created when missing) that refuses files
// over maxSize bytes.
func New(dir string, maxSize int64) (*Store, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("blob folder %s: %w", dir, err)
	}
	return &Store{dir: dir, maxSize: maxSize}, nil
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
	n, err := io.Copy(io.MultiWriter(tmp, h), io.LimitReader(r, s.maxSize+1))
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
	return f, m, nil
}

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
