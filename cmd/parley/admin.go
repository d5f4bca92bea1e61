package main

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"parley/threads"
)

func adminCommands() []command {
	return []command{
		{path: "admin domains", args: "[set A.ORG,B.ORG | clear] [--json]",
			summary: "show or set the email domains new addresses must belong to (clear: any domain); existing addresses are kept",
			mode:    sharedStore, parse: parseAdminDomains},
		{path: "admin fields", args: "[set NAME:LABEL[:searchable]... | clear NAME] [--json]",
			summary: "show or replace the profile fields users may fill in; a field with values cannot be removed " +
				"until `admin fields clear NAME` removes them",
			mode: sharedStore, parse: parseAdminFields},
		{path: "admin retention", args: "[--room ID] [DAYS | default] [--json]",
			summary: "show or set how many days lines are kept (0: forever), for every room or, with --room, one room " +
				"(default: follow the global setting); parley serve removes older lines every hour",
			mode: sharedStore, parse: parseAdminRetention},
		{path: "admin presence", args: "[--idle-after D] [--offline-after D] [--json]",
			summary: "show or set when a member without activity turns away (idle) and then offline, for every process at once " +
				"(PARLEY_IDLE_AFTER and PARLEY_OFFLINE_AFTER only seed them)",
			mode: sharedStore, parse: parseAdminPresence},
		{path: "admin reindex", args: "", summary: "rebuild the people-search indexes from the users (once after upgrading, or to repair them)",
			mode: sharedStore, parse: parseAdminReindex},
		rekeyCommand(),
		{path: "admin audit", args: "[--limit N] [--actor A] [--action X] [--target T] [--before ID] [--json]",
			summary: "show the audit log of admin actions and sign-ins, newest first (--action user. for every user.* action)",
			mode:    sharedStore, parse: parseAdminAudit},
	}
}

func parseAdminDomains(args []string) (action, error) {
	fs := newFlags("admin domains")
	asJSON := fs.Bool("json", false, "print JSON")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return nil, err
	}
	var set []string
	change := false
	switch {
	case len(pos) == 0:
	case pos[0] == "clear":
		if err := wantArgs(pos[1:]); err != nil {
			return nil, err
		}
		change = true
	case pos[0] == "set":
		var l listFlag
		for _, p := range pos[1:] {
			_ = l.Set(p)
		}
		if len(l) == 0 {
			return nil, usagef("missing DOMAINS (like: parley admin domains set example.org,corp.example; clear allows any)")
		}
		for _, d := range l {
			n, err := threads.NormalizeDomain(d)
			if err != nil {
				return nil, err
			}
			set = append(set, n)
		}
		change = true
	default:
		return nil, usagef("unexpected argument %q: admin domains takes set DOMAINS or clear", pos[0])
	}
	return func(ctx context.Context, a *app) error {
		var list []string
		var err error
		if change {
			list, err = a.store.Directory.SetAllowedDomains(ctx, cliActor, set)
		} else {
			list, err = a.store.Directory.AllowedDomains(ctx)
		}
		if err != nil {
			return err
		}
		if *asJSON {
			if list == nil {
				list = []string{}
			}
			return writeJSON(a.out, list)
		}
		if len(list) == 0 {
			_, err = fmt.Fprintln(a.out, "allowed domains: any")
			return err
		}
		_, err = fmt.Fprintf(a.out, "allowed domains: %s\n", strings.Join(list, ", "))
		return err
	}, nil
}

// parseFieldSpec parses NAME:LABEL[:searchable] of `admin fields set`.
func parseFieldSpec(s string) (threads.ProfileField, error) {
	parts := strings.Split(s, ":")
	f := threads.ProfileField{Name: strings.TrimSpace(parts[0])}
	if err := threads.ValidFieldName(f.Name); err != nil {
		return f, err
	}
	switch len(parts) {
	case 1:
		f.Label = f.Name
	case 3:
		if strings.TrimSpace(parts[2]) != "searchable" {
			return f, usagef("field %q: the third part can only be \"searchable\"", s)
		}
		f.Searchable = true
		fallthrough
	case 2:
		f.Label = strings.TrimSpace(parts[1])
		if f.Label == "" {
			f.Label = f.Name
		}
	default:
		return f, usagef("field %q is not NAME:LABEL[:searchable] (a label cannot hold ':')", s)
	}
	return f, nil
}

func parseAdminFields(args []string) (action, error) {
	fs := newFlags("admin fields")
	asJSON := fs.Bool("json", false, "print JSON")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return nil, err
	}
	var run func(ctx context.Context, a *app) error
	switch {
	case len(pos) == 0:
	case pos[0] == "clear":
		if err := wantArgs(pos[1:], "NAME"); err != nil {
			return nil, err
		}
		name := pos[1]
		if err := threads.ValidFieldName(name); err != nil {
			return nil, err
		}
		return func(ctx context.Context, a *app) error {
			n, err := a.store.Directory.ClearProfileField(ctx, cliActor, name)
			if err != nil {
				return err
			}
			if *asJSON {
				return writeJSON(a.out, map[string]any{"field": name, "cleared": n})
			}
			_, err = fmt.Fprintf(a.out, "removed the value of %s from %d users\n", name, n)
			return err
		}, nil
	case pos[0] == "set":
		var defs []threads.ProfileField
		for _, s := range pos[1:] {
			f, err := parseFieldSpec(s)
			if err != nil {
				return nil, err
			}
			defs = append(defs, f)
		}
		run = func(ctx context.Context, a *app) error {
			return a.store.Directory.SetProfileFields(ctx, cliActor, defs)
		}
	default:
		return nil, usagef("unexpected argument %q: admin fields takes set NAME:LABEL[:searchable]... or clear NAME", pos[0])
	}
	return func(ctx context.Context, a *app) error {
		if run != nil {
			if err := run(ctx, a); err != nil {
				return err
			}
		}
		defs, err := a.store.Directory.ProfileFields(ctx)
		if err != nil {
			return err
		}
		if *asJSON {
			return writeJSON(a.out, defs)
		}
		if len(defs) == 0 {
			_, err := fmt.Fprintln(a.out, "no profile fields defined")
			return err
		}
		rows := []string{"NAME\tLABEL\tSEARCHABLE"}
		for _, f := range defs {
			rows = append(rows, f.Name+"\t"+clean(f.Label, false)+"\t"+yesNo(f.Searchable))
		}
		return table(a.out, rows...)
	}, nil
}

func parseAdminRetention(args []string) (action, error) {
	fs := newFlags("admin retention")
	room := fs.String("room", "", "the room to set (default: every room)")
	asJSON := fs.Bool("json", false, "print JSON")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return nil, err
	}
	if len(pos) > 1 {
		return nil, usagef("unexpected argument %q", pos[1])
	}
	if *room != "" {
		if err := validID("room", *room); err != nil {
			return nil, err
		}
	}
	days, reset, show := 0, false, len(pos) == 0
	if !show {
		switch {
		case pos[0] == "default":
			if *room == "" {
				return nil, usagef("default needs --room: the room then follows the global setting")
			}
			reset = true
		default:
			days, err = strconv.Atoi(pos[0])
			if err != nil || days < 0 || days > threads.MaxRetentionDays {
				return nil, usagef("DAYS %q is not a number of days between 0 (keep forever) and %d, or default", pos[0], threads.MaxRetentionDays)
			}
		}
	}
	return func(ctx context.Context, a *app) error {
		var err error
		switch {
		case reset:
			err = a.store.Chat.ResetRetention(ctx, cliActor, *room)
		case !show:
			err = a.store.Chat.SetRetention(ctx, cliActor, *room, days)
		case *room != "":
			_, err = a.store.Chat.Room(ctx, *room)
		}
		if err != nil {
			return err
		}
		p, err := a.store.Chat.Retention(ctx)
		if err != nil {
			return err
		}
		if *asJSON {
			return writeJSON(a.out, p)
		}
		return printRetention(a, p, *room)
	}, nil
}

// printRetention prints the policy, or only what applies to room.
func printRetention(a *app, p threads.RetentionPolicy, room string) error {
	days := func(d int) string {
		if d == 0 {
			return "keep forever"
		}
		return strconv.Itoa(d) + " days"
	}
	if room != "" {
		how := "(the global setting)"
		if _, ok := p.Rooms[room]; ok {
			how = "(set for this room)"
		}
		_, err := fmt.Fprintf(a.out, "%s: %s %s\n", room, days(p.Days(room)), how)
		return err
	}
	rows := []string{"ROOM\tRETENTION", "(every room)\t" + days(p.Default)}
	rooms := make([]string, 0, len(p.Rooms))
	for r := range p.Rooms {
		rooms = append(rooms, r)
	}
	sort.Strings(rooms)
	for _, r := range rooms {
		rows = append(rows, r+"\t"+days(p.Rooms[r]))
	}
	return table(a.out, rows...)
}

func parseAdminReindex(args []string) (action, error) {
	if err := parseNoArgs(newFlags("admin reindex"), args); err != nil {
		return nil, err
	}
	return func(ctx context.Context, a *app) error {
		n, err := a.store.Directory.ReindexPeople(ctx)
		if err != nil {
			return err
		}
		if err := auditCLI(ctx, a, "people.reindex", "search indexes", strconv.Itoa(n)+" users"); err != nil {
			return err
		}
		_, err = fmt.Fprintf(a.out, "reindexed %d users\n", n)
		return err
	}, nil
}

func parseAdminAudit(args []string) (action, error) {
	fs := newFlags("admin audit")
	var f threads.AuditFilter
	fs.IntVar(&f.Limit, "limit", 50, fmt.Sprintf("at most this many entries (up to %d)", threads.MaxPage))
	fs.StringVar(&f.Actor, "actor", "", "only entries by this actor (a user id, or cli)")
	fs.StringVar(&f.Action, "action", "", "only this action, or actions starting with it when it ends in '.'")
	fs.StringVar(&f.Target, "target", "", "only entries about this target")
	fs.StringVar(&f.Before, "before", "", "only entries older than this id (paging)")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parseNoArgs(fs, args); err != nil {
		return nil, err
	}
	if f.Limit < 1 || f.Limit > threads.MaxPage {
		return nil, usagef("--limit %d is not between 1 and %d", f.Limit, threads.MaxPage)
	}
	return func(ctx context.Context, a *app) error {
		log, err := a.store.Directory.AuditLog(ctx, f)
		if err != nil {
			return err
		}
		if *asJSON {
			return writeJSON(a.out, log)
		}
		if len(log) == 0 {
			_, err := fmt.Fprintln(a.out, "no audit entries")
			return err
		}
		rows := []string{"TIME\tACTOR\tACTION\tTARGET\tDETAIL"}
		for _, e := range log {
			rows = append(rows, strings.Join([]string{fmtTime(e.Time), clean(e.Actor, false), e.Action,
				orDash(clean(e.Target, false)), orDash(clean(e.Detail, false))}, "\t"))
		}
		return table(a.out, rows...)
	}, nil
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func parseAdminPresence(args []string) (action, error) {
	fs := newFlags("admin presence")
	idle := fs.Duration("idle-after", 0, "a member without activity for this long is away (idle), like 5m")
	offline := fs.Duration("offline-after", 0, "a member without activity for this long is offline, like 8h")
	asJSON := fs.Bool("json", false, "print JSON")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return nil, err
	}
	if err := wantArgs(pos); err != nil {
		return nil, err
	}
	if *idle < 0 || *offline < 0 {
		return nil, usagef("--idle-after and --offline-after must be positive durations, like 5m or 8h")
	}
	return func(ctx context.Context, a *app) error {
		var t threads.Thresholds
		var err error
		if *idle != 0 || *offline != 0 {
			t, err = a.store.Chat.SetThresholds(ctx, cliActor, threads.Thresholds{IdleAfter: *idle, OfflineAfter: *offline})
		} else {
			t, err = a.store.Chat.Thresholds(ctx)
		}
		if err != nil {
			return err
		}
		if *asJSON {
			return writeJSON(a.out, map[string]string{"idle_after": t.IdleAfter.String(), "offline_after": t.OfflineAfter.String()})
		}
		return fields(a.out, "idle after", t.IdleAfter.String(), "offline after", t.OfflineAfter.String())
	}, nil
}
