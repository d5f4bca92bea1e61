package main

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"time"

	"parley/internal/transcript"
	"parley/outbound"
)

// showDigestAndTranscript sends dave's digest by hand (he was busy, so
// his lines waited for it; parley serve sends it at his hour) and prints
// the first lines of design's text transcript.
func (d *demo) showDigestAndTranscript(ctx context.Context, digests *outbound.Digests, domain string) error {
	d.printf("\nDave was busy: his lines waited for his digest. parley serve sends it at his hour " +
		"(parley digest due); here it is sent at once, as `parley digest send --user dave --now` does:\n")
	res, err := digests.SendNow(ctx, "dave")
	if err != nil {
		return fmt.Errorf("dave's digest: %w", err)
	}
	if !res.Sent {
		d.printf("    no digest for dave: %s\n", res.Why)
	}
	// The outbox follower prints the email within one of its polls.
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(3 * outboxPoll):
	}
	room, err := d.st.Chat.Room(ctx, "design")
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if _, err := transcript.Write(ctx, &buf, d.st, transcript.Options{Room: room, Format: transcript.Text,
		Loc: time.UTC, Domain: domain}); err != nil {
		return fmt.Errorf("design's transcript: %w", err)
	}
	lines := strings.Split(strings.TrimRight(buf.String(), "\n"), "\n")
	if len(lines) > 7 {
		lines = lines[:7]
	}
	d.printf("\nThe start of design's transcript (parley transcript --room design --format text; html prints on A4, mbox imports into a mail client):\n")
	for _, l := range lines {
		d.printf("    %s\n", clean(l, false))
	}
	return nil
}
