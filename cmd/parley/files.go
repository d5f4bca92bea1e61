package main

import (
	"fmt"
	"log/slog"

	"parley/internal/blobs"
	"parley/outbound"
	"parley/threads"
)

// fileStore opens PARLEY_BLOB_DIR, its files sealed under the data key
// when there is one; nil when it is not set. Every part that reads or
// writes files opens the folder here.
func fileStore(cfg Config) (*blobs.Store, error) {
	if cfg.BlobDir == "" {
		return nil, nil
	}
	box, err := cfg.Crypto.dataBox()
	if err != nil {
		return nil, err
	}
	b, err := blobs.NewSealed(cfg.BlobDir, cfg.MaxMessageBytes, box)
	if err != nil {
		return nil, fmt.Errorf("PARLEY_BLOB_DIR: %w", err)
	}
	return b, nil
}

// outboundFiles is how relay emails and texts carry files: signed links
// under the public URL, and small files attached.
func outboundFiles(cfg Config, st *threads.Store, store *blobs.Store, log *slog.Logger) *outbound.Files {
	f := &outbound.Files{Auth: st.Auth, PublicURL: cfg.PublicURL, TTL: cfg.Files.FileLinkTTL, AttachMax: cfg.Files.AttachMax, Log: log}
	if cfg.Files.AttachMax == 0 {
		f.AttachMax = -1 // 0 in the settings means links only
	}
	if store != nil {
		f.Store = store
	}
	return f
}
