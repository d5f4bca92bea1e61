package main

import (
	"fmt"
	"log/slog"

	"parley/inbound"
	"parley/internal/blobs"
	"parley/threads"
	"parley/web"
)

// webOptions are the web side's options from cfg: the public URL (sign-in
// links, Secure cookies) and the file folder shared with email
// attachments, with the same size and type limits.
func webOptions(cfg Config, st *threads.Store, log *slog.Logger) (web.Options, error) {
	o := web.Options{Store: st, Log: log, PublicURL: cfg.PublicURL, MaxUploadBytes: cfg.MaxMessageBytes,
		AllowedTypes: inbound.DefaultAllowedTypes, MailDomain: cfg.Domain, FileLinkTTL: cfg.Files.FileLinkTTL}
	if cfg.BlobDir != "" {
		b, err := blobs.New(cfg.BlobDir, cfg.MaxMessageBytes)
		if err != nil {
			return o, fmt.Errorf("PARLEY_BLOB_DIR: %w", err)
		}
		o.Blobs = b
	}
	return o, nil
}
