package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"parley/threads"
)

// demoAwayRoom is the direct room of the auto-reply step.
const demoAwayRoom = "alice-bob"

// awayStep shows an away auto-reply: bob sets one, alice writes to him
// directly, his auto-reply appears once; alice writes again and gets none.
func (d *demo) awayStep(ctx context.Context) error {
	bob, err := d.st.Directory.User(ctx, "bob")
	if err != nil {
		return err
	}
	until, err := threads.ParseUntil("15:00", time.Now(), bob.Location())
	if err != nil {
		return err
	}
	const text = "at the clinic, back tomorrow"
	if _, err := d.st.Chat.SetStatus(ctx, "bob", threads.Status{Availability: threads.Away, Text: text, Until: until}); err != nil {
		return fmt.Errorf("set bob's auto-reply: %w", err)
	}
	room := threads.Room{ID: demoAwayRoom, Name: "Alice & Bob", Kind: threads.Direct, Members: []string{"alice", "bob"}}
	if _, err := d.st.Chat.CreateRoom(ctx, room); err != nil && !errors.Is(err, threads.ErrExists) {
		return fmt.Errorf("seed room %s: %w", room.ID, err)
	}
	d.printf("\nBob sets an away auto-reply (parley presence set bob away --message %q --until 15:00):\n"+
		"whoever writes to him directly or mentions him gets it once a day, as a line in the room.\n", text)
	for _, line := range []string{"Bob, can you sign the printer's quote today?", "Also: the venue called back."} {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(demoPause):
		}
		p, err := d.st.Chat.Post(ctx, threads.NewLine{Room: demoAwayRoom, Author: "alice", Origin: threads.FromWeb, Text: line})
		if err != nil {
			return fmt.Errorf("post in %s: %w", demoAwayRoom, err)
		}
		d.printf("\n[%s] %s: %s\n%s", demoAwayRoom, p.Line.Name, p.Line.Text, formatRouting(p))
		if len(p.AutoReplies) == 0 && p.Routes != nil {
			d.printf("    %-17s none: bob already answered alice today\n", "auto-reply:")
		}
	}
	return nil
}
