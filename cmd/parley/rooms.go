package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"parley/threads"
)

func roomCommands() []command {
	return []command{
		{path: "room create", args: "--id ID --name NAME --members A,B,... [--topic TEXT] [--direct] [--confidential]",
			summary: "create a room; --direct makes a two-person conversation", mode: sharedStore, parse: parseRoomCreate},
		{path: "room list", args: "[--user ID] [--json]", summary: "list every room, or the rooms of one user",
			mode: sharedStore, parse: parseRoomList},
		{path: "room show", args: "ID [--json]", summary: "show one room and its members", mode: sharedStore, parse: parseRoomShow},
		{path: "room add-member", args: "ROOM USER", summary: "add a user to a group room", mode: sharedStore, parse: parseAddMember},
		{path: "room remove-member", args: "ROOM USER", summary: "remove a member (a room keeps at least two)",
			mode: sharedStore, parse: parseRemoveMember},
		{path: "room rename", args: "ROOM NAME", summary: "set a room's display name", mode: sharedStore, parse: parseRename},
		{path: "room set-meeting", args: "ROOM URL", summary: "fix the link /meet posts in a room (\"-\": a fresh link each time)",
			mode: sharedStore, parse: parseSetMeeting},
	}
}

func parseRoomCreate(args []string) (action, error) {
	fs := newFlags("room create")
	var r threads.Room
	var members listFlag
	fs.StringVar(&r.ID, "id", "", "room id")
	fs.StringVar(&r.Name, "name", "", "display name")
	fs.StringVar(&r.Topic, "topic", "", "topic")
	fs.Var(&members, "members", "members (comma-separated, or repeat)")
	direct := fs.Bool("direct", false, "a direct, two-person room")
	fs.BoolVar(&r.Confidential, "confidential", false, "lines go by email only encrypted, to members with an OpenPGP key (confidential.go)")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parseNoArgs(fs, args); err != nil {
		return nil, err
	}
	if err := need("id", r.ID, "name", r.Name, "members", members.String()); err != nil {
		return nil, err
	}
	if err := validID("room", r.ID); err != nil {
		return nil, err
	}
	for _, m := range members {
		if err := validID("user", m); err != nil {
			return nil, err
		}
	}
	r.Members = members
	r.Kind = threads.Group
	if *direct {
		r.Kind = threads.Direct
	}
	return func(ctx context.Context, a *app) error {
		created, err := a.store.Chat.CreateRoom(ctx, r)
		if err != nil {
			return err
		}
		if err := auditCLI(ctx, a, "room.create", created.ID, "members "+strings.Join(created.Members, ", ")); err != nil {
			return err
		}
		if *asJSON {
			return writeJSON(a.out, created)
		}
		return printRoom(a, created)
	}, nil
}

func parseRoomList(args []string) (action, error) {
	fs := newFlags("room list")
	user := fs.String("user", "", "only the rooms of this user")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parseNoArgs(fs, args); err != nil {
		return nil, err
	}
	if *user != "" {
		if err := validID("user", *user); err != nil {
			return nil, err
		}
	}
	return func(ctx context.Context, a *app) error {
		var rooms []threads.Room
		var err error
		if *user != "" {
			// RoomsOf gives an empty list for a user who does not exist.
			if _, err := a.store.Directory.User(ctx, *user); err != nil {
				return err
			}
			rooms, err = a.store.Chat.RoomsOf(ctx, *user)
		} else {
			rooms, err = a.store.Chat.Rooms(ctx)
		}
		if err != nil {
			return err
		}
		if *asJSON {
			if rooms == nil {
				rooms = []threads.Room{}
			}
			return writeJSON(a.out, rooms)
		}
		rows := []string{"ID\tKIND\tMEMBERS\tNAME"}
		for _, r := range rooms {
			rows = append(rows, strings.Join([]string{r.ID, string(r.Kind), strconv.Itoa(len(r.Members)), clean(r.Name, false)}, "\t"))
		}
		return table(a.out, rows...)
	}, nil
}

func parseRoomShow(args []string) (action, error) {
	fs := newFlags("room show")
	asJSON := fs.Bool("json", false, "print JSON")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return nil, err
	}
	id, err := oneID(pos, "ROOM", "room")
	if err != nil {
		return nil, err
	}
	return func(ctx context.Context, a *app) error {
		r, err := a.store.Chat.Room(ctx, id)
		if err != nil {
			return err
		}
		if *asJSON {
			return writeJSON(a.out, r)
		}
		return printRoom(a, r)
	}, nil
}

// roomUserArgs parses the ROOM USER arguments of add-member and remove-member.
func roomUserArgs(name string, args []string) (room, user string, err error) {
	pos, err := parseFlags(newFlags(name), args)
	if err != nil {
		return "", "", err
	}
	if err := wantArgs(pos, "ROOM", "USER"); err != nil {
		return "", "", err
	}
	if err := validID("room", pos[0]); err != nil {
		return "", "", err
	}
	if err := validID("user", pos[1]); err != nil {
		return "", "", err
	}
	return pos[0], pos[1], nil
}

func parseAddMember(args []string) (action, error) {
	room, user, err := roomUserArgs("room add-member", args)
	if err != nil {
		return nil, err
	}
	return func(ctx context.Context, a *app) error {
		if err := a.store.Chat.AddMember(ctx, room, user); err != nil {
			return err
		}
		if err := auditCLI(ctx, a, "room.add_member", room, user); err != nil {
			return err
		}
		_, err := fmt.Fprintf(a.out, "%s is a member of %s\n", user, room)
		return err
	}, nil
}

func parseRemoveMember(args []string) (action, error) {
	room, user, err := roomUserArgs("room remove-member", args)
	if err != nil {
		return nil, err
	}
	return func(ctx context.Context, a *app) error {
		if err := a.store.Chat.RemoveMember(ctx, room, user); err != nil {
			return err
		}
		if err := auditCLI(ctx, a, "room.remove_member", room, user); err != nil {
			return err
		}
		_, err := fmt.Fprintf(a.out, "%s removed from %s\n", user, room)
		return err
	}, nil
}

func parseRename(args []string) (action, error) {
	pos, err := parseFlags(newFlags("room rename"), args)
	if err != nil {
		return nil, err
	}
	if err := wantArgs(pos, "ROOM", "NAME"); err != nil {
		return nil, err
	}
	room, name := pos[0], pos[1]
	if err := validID("room", room); err != nil {
		return nil, err
	}
	return func(ctx context.Context, a *app) error {
		if err := a.store.Chat.RenameRoom(ctx, room, name); err != nil {
			return err
		}
		if err := auditCLI(ctx, a, "room.rename", room, strings.TrimSpace(name)); err != nil {
			return err
		}
		_, err := fmt.Fprintf(a.out, "%s is now called %q\n", room, clean(strings.TrimSpace(name), false))
		return err
	}, nil
}

// printRoom prints a room as "field: value" lines.
func printRoom(a *app, r threads.Room) error {
	return fields(a.out,
		"id", r.ID,
		"name", clean(r.Name, false),
		"kind", string(r.Kind),
		"topic", orDash(clean(r.Topic, false)),
		"members", strings.Join(r.Members, ", "),
		"created", fmtTime(r.Created),
	)
}
