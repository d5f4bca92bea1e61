package main

import (
	"context"
	"fmt"
)

// confidentialCommands turn a room's confidentiality on or off (issue 19).
func confidentialCommands() []command {
	return []command{
		{path: "room set", args: "ROOM --confidential on|off",
			summary: "make a room confidential (its lines leave parley only encrypted: by email to members with an OpenPGP key, a notice with a link to everyone else, counts in digests) or ordinary again",
			mode:    sharedStore, parse: parseRoomSet},
	}
}

func parseRoomSet(args []string) (action, error) {
	fs := newFlags("room set")
	conf := fs.String("confidential", "", "on or off")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return nil, err
	}
	id, err := oneID(pos, "ROOM", "room")
	if err != nil {
		return nil, err
	}
	var on bool
	switch *conf {
	case "on":
		on = true
	case "off":
	case "":
		return nil, usagef("nothing to change: give --confidential on or off")
	default:
		return nil, usagef("--confidential is on or off, not %q", *conf)
	}
	return func(ctx context.Context, a *app) error {
		if err := a.store.Chat.SetConfidential(ctx, id, on); err != nil {
			return err
		}
		if err := auditCLI(ctx, a, "room.confidential", id, *conf); err != nil {
			return err
		}
		if on {
			_, err = fmt.Fprintf(a.out, "%s is confidential: its lines go by email only encrypted, to members with an OpenPGP key\n", id)
		} else {
			_, err = fmt.Fprintf(a.out, "%s is an ordinary room again\n", id)
		}
		return err
	}, nil
}
