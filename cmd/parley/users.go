package main

import (
	"context"
	"fmt"
	"strings"

	"parley/threads"
)

func userCommands() []command {
	return []command{
		{path: "user add", args: "--id ID --name NAME [--email ADDR]... [--phone +E164] [--tz ZONE] [--bot]",
			summary: "add a user (--email may repeat or hold a comma-separated list; a phone given here counts as verified)",
			mode:    sharedStore, parse: parseUserAdd},
		{path: "user list", args: "[--json]", summary: "list every user", mode: sharedStore, parse: parseUserList},
		{path: "user show", args: "ID [--json]", summary: "show one user and their rooms", mode: sharedStore, parse: parseUserShow},
	}
}

func parseUserAdd(args []string) (action, error) {
	fs := newFlags("user add")
	var u threads.User
	var emails listFlag
	fs.StringVar(&u.ID, "id", "", "user id")
	fs.StringVar(&u.Name, "name", "", "display name")
	fs.Var(&emails, "email", "email address (repeat, or comma-separated)")
	fs.StringVar(&u.Phone, "phone", "", "phone number in E.164 form")
	fs.StringVar(&u.TimeZone, "tz", "", "IANA time zone")
	fs.BoolVar(&u.Bot, "bot", false, "the user is a program: away auto-replies never answer it")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parseNoArgs(fs, args); err != nil {
		return nil, err
	}
	if err := need("id", u.ID, "name", u.Name); err != nil {
		return nil, err
	}
	// Check what needs no store here, so that a typo is caught before any
	// connection; threads checks everything again before writing.
	if err := validID("user", u.ID); err != nil {
		return nil, err
	}
	for _, e := range emails {
		n, err := threads.NormalizeEmail(e)
		if err != nil {
			return nil, err
		}
		u.Emails = append(u.Emails, n)
	}
	if u.Phone != "" {
		if err := threads.ValidPhone(u.Phone); err != nil {
			return nil, err
		}
		u.PhoneVerified = true // an admin vouches for the number
	}
	if u.TimeZone != "" {
		if _, err := threads.LoadLocation(u.TimeZone); err != nil {
			return nil, usagef("time zone %q is unknown (use an IANA name like Europe/Berlin)", u.TimeZone)
		}
	}
	return func(ctx context.Context, a *app) error {
		if err := a.store.Directory.CheckName(ctx, u.ID, u.Name); err != nil {
			return err // a name like another member's (threads/confusable.go)
		}
		added, err := a.store.Directory.AddUser(ctx, u)
		if err != nil {
			return err
		}
		if err := auditCLI(ctx, a, "user.add", added.ID, ""); err != nil {
			return err
		}
		if *asJSON {
			return writeJSON(a.out, added)
		}
		return printUser(a, added, nil)
	}, nil
}

func parseUserList(args []string) (action, error) {
	fs := newFlags("user list")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parseNoArgs(fs, args); err != nil {
		return nil, err
	}
	return func(ctx context.Context, a *app) error {
		users, err := a.store.Directory.Users(ctx)
		if err != nil {
			return err
		}
		if *asJSON {
			return writeJSON(a.out, users)
		}
		rows := []string{"ID\tNAME\tEMAIL\tPHONE\tTIME ZONE"}
		for _, u := range users {
			email := u.Email()
			if len(u.Emails) > 1 {
				email += fmt.Sprintf(" (+%d)", len(u.Emails)-1)
			}
			rows = append(rows, strings.Join([]string{u.ID, clean(u.Name, false), orDash(email), orDash(u.Phone), orDash(u.TimeZone)}, "\t"))
		}
		return table(a.out, rows...)
	}, nil
}

func parseUserShow(args []string) (action, error) {
	fs := newFlags("user show")
	asJSON := fs.Bool("json", false, "print JSON")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return nil, err
	}
	id, err := oneID(pos, "ID", "user")
	if err != nil {
		return nil, err
	}
	return func(ctx context.Context, a *app) error {
		u, err := a.store.Directory.User(ctx, id)
		if err != nil {
			return err
		}
		if *asJSON {
			return writeJSON(a.out, u)
		}
		rooms, err := a.store.Chat.RoomsOf(ctx, id)
		if err != nil {
			return err
		}
		ids := make([]string, len(rooms))
		for i, r := range rooms {
			ids[i] = r.ID
		}
		return printUser(a, u, ids)
	}, nil
}

// printUser prints a user as "field: value" lines; rooms are printed when
// not nil.
func printUser(a *app, u threads.User, rooms []string) error {
	phone := u.Phone
	if phone != "" && u.PhoneVerified {
		phone += " (verified)"
	}
	var notes []string
	if u.EmailFailing {
		notes = append(notes, "email bouncing")
	}
	if u.SMSOptOut {
		notes = append(notes, "opted out of SMS")
	}
	if u.PhoneFailing {
		notes = append(notes, "texts failing")
	}
	if u.Bot {
		notes = append(notes, "bot")
	}
	kv := []string{
		"id", u.ID,
		"name", clean(u.Name, false),
		"emails", orDash(strings.Join(u.Emails, ", ")),
		"phone", orDash(phone),
		"time zone", orDash(u.TimeZone),
		"created", fmtTime(u.Created),
	}
	kv = append(kv, profileLines(u)...)
	kv = append(kv, prefLines(u)...)
	if len(notes) > 0 {
		kv = append(kv, "notes", strings.Join(notes, ", "))
	}
	if rooms != nil {
		kv = append(kv, "rooms", orDash(strings.Join(rooms, ", ")))
	}
	return fields(a.out, kv...)
}

// prefLines are a user's preferences as "field", "value" pairs: channels
// per state, digest, quiet hours, auto-reply.
func prefLines(u threads.User) []string {
	var ch []string
	for _, st := range []threads.State{threads.StateOnline, threads.StateAway, threads.StateBusy, threads.StateOffline} {
		if c, ok := u.Prefs.Channels[st]; ok {
			ch = append(ch, string(st)+"="+string(c))
		}
	}
	channels := "default (online: live; away: email; offline: sms for direct lines and mentions, else email; busy: digest)"
	if len(ch) > 0 {
		channels = strings.Join(ch, ", ") + "; the rest default"
	}
	digest := string(u.Prefs.Digest)
	if digest == "" {
		digest = string(threads.DigestDaily)
	}
	if digest != string(threads.DigestOff) {
		digest += fmt.Sprintf(" at %02d:00", u.Prefs.DigestHour)
	}
	quiet := "-"
	if q := u.Prefs.Quiet; q != nil {
		mode := q.Mode
		if mode == "" {
			mode = threads.QuietHoldSMS
		}
		quiet = q.From + "-" + q.To + " (" + string(mode) + ")"
	}
	reply := u.Prefs.AutoReply
	if reply == "" {
		reply = threads.AutoReplyOn
	}
	escalate := u.Prefs.Escalate
	if escalate == "" {
		escalate = "default (PARLEY_ESCALATE_AFTER)"
	}
	return []string{"channels", channels, "digest", digest, "quiet", quiet, "autoreply", reply, "escalate", escalate}
}
