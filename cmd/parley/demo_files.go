package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"parley/threads"
)

// demoBlobDir gives the demo a file folder: PARLEY_BLOB_DIR when set, else
// a temporary one, removed by the returned function.
func demoBlobDir(cfg *Config) (func(), error) {
	if cfg.BlobDir != "" {
		return func() {}, nil
	}
	dir, err := os.MkdirTemp("", "parley-demo-files-")
	if err != nil {
		return nil, fmt.Errorf("demo file folder: %w", err)
	}
	cfg.BlobDir = dir
	return func() { _ = os.RemoveAll(dir) }, nil
}

// demoPlan is the file alice passes in the demo.
const demoPlan = "Site plan, v3\n\n1. Header: smaller logo, left.\n2. Footer: contact details.\n3. Launch: Friday.\n"

// filesAndMeetingStep: alice posts a small file, which reaches bob (away)
// attached to his email and carol (offline, mentioned) as a link in her
// text; then she starts a meeting, which reaches everyone at once.
func (d *demo) filesAndMeetingStep(ctx context.Context, cfg Config) error {
	store, err := fileStore(cfg)
	if err != nil {
		return err
	}
	meta, err := store.Put(ctx, "site-plan.txt", "text/plain", strings.NewReader(demoPlan))
	if err != nil {
		return err
	}
	d.printf("\nFiles: alice sends site-plan.txt (files are kept in %s). Bob, away, gets it attached to his email\n"+
		"(up to PARLEY_ATTACH_MAX, 512 KB); carol, offline and mentioned, gets a signed link in her text that\n"+
		"works without signing in, for her only, for PARLEY_FILE_LINK_TTL (7 days).\n", cfg.BlobDir)
	p, err := d.st.Chat.Post(ctx, threads.NewLine{Room: "design", Author: "alice", Origin: threads.FromWeb,
		Text: "@carol here is the plan for Friday.", Attachments: []threads.Attachment{{ID: meta.ID, Name: meta.Name, Type: meta.Type, Size: meta.Size}}})
	if err != nil {
		return err
	}
	d.printf("\n[design] %s: %s [file: site-plan.txt]\n%s", p.Line.Name, p.Line.Text, formatRouting(p))
	if err := d.waitOutbox(ctx, func(e threads.OutboxEntry) bool {
		return e.Channel == threads.SMS && strings.Contains(e.Body, "/f/") && strings.Contains(e.Body, "site-plan.txt")
	}, "carol's text with the file link"); err != nil {
		return err
	}
	m, err := d.st.Chat.Meet(ctx, "design", "alice", "launch check", threads.FromWeb, "")
	if err != nil {
		return err
	}
	d.printf("\nMeetings: alice types /meet launch check. The link (PARLEY_MEET_URL plus an unguessable name)\n"+
		"goes to every member at once on their channel, without waiting for the batching window:\n"+
		"\n[design] %s\n%s", m.Line.Text, formatRouting(m))
	return d.waitOutbox(ctx, func(e threads.OutboxEntry) bool {
		return e.Channel == threads.SMS && strings.Contains(e.Body, m.Line.Meeting())
	}, "carol's text with the meeting link")
}

// waitOutbox waits until the outbox holds an entry for which ok holds.
func (d *demo) waitOutbox(ctx context.Context, ok func(threads.OutboxEntry) bool, what string) error {
	deadline := time.Now().Add(demoWindow + 10*time.Second)
	for {
		entries, err := d.st.Queue.Outbox(ctx, "", 200)
		if err != nil {
			return err
		}
		for _, e := range entries {
			if ok(e) {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s did not arrive in the outbox", what)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(outboxPoll):
		}
	}
}
