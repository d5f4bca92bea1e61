package main

import (
	"context"
	"fmt"
	"strings"

	"parley/threads"
)

// trustCommands are the commands of issue 20: who cannot be reached,
// clearing a failing address by hand, revoking a user's addresses.
func trustCommands() []command {
	return []command{
		{path: "queue unreachable", args: "[--json]",
			summary: "list enabled members no channel reaches: no working email (missing or bouncing) and no working, verified phone",
			mode:    sharedStore, parse: parseQueueUnreachable},
		{path: "user confirm-email", args: "ID",
			summary: "an admin confirms a member's email address works: clears the failing mark a bounce set",
			mode:    sharedStore, parse: parseUserConfirmEmail},
		{path: "user rotate-tokens", args: "ID",
			summary: "invalidate every reply, digest and unsubscribe address of a user (a leaked address); emails from now on carry new ones",
			mode:    sharedStore, parse: parseUserRotateTokens},
	}
}

// unreachable is one row of `queue unreachable`.
type unreachable struct {
	ID     string   `json:"id"`
	Name   string   `json:"name"`
	Emails []string `json:"emails"`
	Phone  string   `json:"phone,omitempty"`
	Why    string   `json:"why"`
}

// unreachableWhy says why neither channel works for u.
func unreachableWhy(u threads.User) string {
	var why []string
	switch {
	case u.Email() == "":
		why = append(why, "no email")
	case u.EmailFailing:
		why = append(why, "email bounces")
	}
	switch {
	case u.Phone == "":
		why = append(why, "no phone")
	case !u.PhoneVerified:
		why = append(why, "phone not verified")
	case u.SMSOptOut:
		why = append(why, "texted STOP")
	case u.PhoneFailing:
		why = append(why, "texts fail")
	}
	return strings.Join(why, ", ")
}

func parseQueueUnreachable(args []string) (action, error) {
	fs := newFlags("queue unreachable")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parseNoArgs(fs, args); err != nil {
		return nil, err
	}
	return func(ctx context.Context, a *app) error {
		users, err := a.store.Directory.Users(ctx)
		if err != nil {
			return err
		}
		out := []unreachable{}
		for _, u := range users {
			if u.Disabled || u.Bot || !u.Unreachable() {
				continue
			}
			out = append(out, unreachable{ID: u.ID, Name: u.Name, Emails: u.Emails, Phone: u.Phone, Why: unreachableWhy(u)})
		}
		if *asJSON {
			return writeJSON(a.out, out)
		}
		rows := []string{"ID\tNAME\tWHY"}
		for _, r := range out {
			rows = append(rows, strings.Join([]string{r.ID, clean(r.Name, false), r.Why}, "\t"))
		}
		return table(a.out, rows...)
	}, nil
}

// parseUserID parses the arguments of a user command that takes one user
// id and no flags.
func parseUserID(command string, args []string) (string, error) {
	pos, err := parseFlags(newFlags(command), args)
	if err != nil {
		return "", err
	}
	return oneID(pos, "ID", "user")
}

func parseUserConfirmEmail(args []string) (action, error) {
	id, err := parseUserID("user confirm-email", args)
	if err != nil {
		return nil, err
	}
	return func(ctx context.Context, a *app) error {
		if err := a.store.Directory.ClearEmailFailing(ctx, id); err != nil {
			return err
		}
		_, err := fmt.Fprintf(a.out, "%s's email is taken as working again\n", id)
		return err
	}, nil
}

func parseUserRotateTokens(args []string) (action, error) {
	id, err := parseUserID("user rotate-tokens", args)
	if err != nil {
		return nil, err
	}
	return func(ctx context.Context, a *app) error {
		if _, err := a.store.Directory.RotateTokens(ctx, cliActor, id); err != nil {
			return err
		}
		_, err := fmt.Fprintf(a.out, "%s's reply addresses no longer work; the next emails carry new ones\n", id)
		return err
	}, nil
}
