package main

import (
	"context"
	"fmt"
)

// parseSetMeeting is `parley room set-meeting ROOM URL`: the room's /meet
// posts that fixed link; "-" goes back to a fresh link per meeting.
func parseSetMeeting(args []string) (action, error) {
	pos, err := parseFlags(newFlags("room set-meeting"), args)
	if err != nil {
		return nil, err
	}
	if err := wantArgs(pos, "ROOM", "URL"); err != nil {
		return nil, err
	}
	room, link := pos[0], pos[1]
	if err := validID("room", room); err != nil {
		return nil, err
	}
	if link == "-" {
		link = ""
	}
	return func(ctx context.Context, a *app) error {
		if err := a.store.Chat.SetMeetingURL(ctx, cliActor, room, link); err != nil {
			return err
		}
		if link == "" {
			_, err := fmt.Fprintf(a.out, "/meet in %s posts a fresh link each time\n", room)
			return err
		}
		_, err := fmt.Fprintf(a.out, "/meet in %s posts %s\n", room, link)
		return err
	}, nil
}
