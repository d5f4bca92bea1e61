package main

import (
	"log/slog"

	"parley/inbound"
	"parley/threads"
	"parley/web"
)

// webOptions are the web side's options from cfg: the public URL (sign-in
// links, Secure cookies) and the file folder shared with email
// attachments, with the same size and type limits.
func webOptions(cfg Config, st *threads.Store, log *slog.Logger) (web.Options, error) {
	o := web.Options{Store: st, Log: log, PublicURL: cfg.PublicURL, MaxUploadBytes: cfg.MaxMessageBytes,
		AllowedTypes: inbound.DefaultAllowedTypes, MailDomain: cfg.Domain, FileLinkTTL: cfg.Files.FileLinkTTL,
		ServerKey: serverPublicKey(cfg, st)} // pgp.go
	b, err := fileStore(cfg)
	if err != nil {
		return o, err
	}
	o.Blobs = b
	return o, nil
}
