package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"parley/threads"
)

// demoEscalateAfter is the demo's escalation time (parley serve:
// PARLEY_ESCALATE_AFTER, 30m): short, so that the demo shows one.
const demoEscalateAfter = 2 * time.Second

// demoIdleRoom is the direct room of the escalation step.
const demoIdleRoom = "alice-erin"

// escalateStep shows presence from activity and escalation: erin has the
// page open but does not touch it, so alice's direct line reaches her by
// email; she neither reads nor answers it, so it goes out again by text.
func (d *demo) escalateStep(ctx context.Context) error {
	room := threads.Room{ID: demoIdleRoom, Name: "Alice & Erin", Kind: threads.Direct, Members: []string{"alice", "erin"}}
	if _, err := d.st.Chat.CreateRoom(ctx, room); err != nil && !errors.Is(err, threads.ErrExists) {
		return fmt.Errorf("seed room %s: %w", room.ID, err)
	}
	// Erin used the page, then left it open: after a while without input
	// it reports idle, and keeps its live stream (connected).
	for _, a := range []threads.Activity{threads.Active, threads.Idle, threads.Connected} {
		if err := d.st.Chat.Heartbeat(ctx, "erin", threads.Beat{Activity: a, Client: "demo-tab"}); err != nil {
			return err
		}
	}
	d.printf("\nErin used the page, then walked away from the open tab: it reported idle and stays connected.\n"+
		"She still sees lines live, but they reach her by email; an unseen direct line escalates to text\n"+
		"after %s (parley serve: PARLEY_ESCALATE_AFTER, 30m).\n", demoEscalateAfter)
	p, err := d.st.Chat.Post(ctx, threads.NewLine{Room: demoIdleRoom, Author: "alice", Origin: threads.FromWeb,
		Text: "Erin, the build is red since your last push, can you look?"})
	if err != nil {
		return fmt.Errorf("post in %s: %w", demoIdleRoom, err)
	}
	d.printf("\n[%s] %s: %s\n%s", demoIdleRoom, p.Line.Name, p.Line.Text, formatRouting(p))
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(demoEscalateAfter + 200*time.Millisecond):
	}
	// parley serve's digest scheduler does this every round.
	if _, err := d.st.Chat.EscalateDue(ctx, time.Minute, 10); err != nil {
		return err
	}
	reached, _, err := d.st.Chat.Reached(ctx, demoIdleRoom, p.Line.ID)
	if err != nil {
		return err
	}
	d.printf("Erin neither read nor answered it; what alice sees (parley delivery --room %s %s):\n    Erin Stone: %s\n",
		demoIdleRoom, p.Line.ID, deliveryText(reached["erin"]))
	return nil
}
