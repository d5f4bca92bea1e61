package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"parley/internal/pgp"
	"parley/threads"
)

// keyCommands manage members' OpenPGP public keys (issue 19): mail to a
// member with a key goes encrypted.
func keyCommands() []command {
	return []command{
		{path: "user key add", args: "ID FILE [--json]", summary: "set a member's OpenPGP public key (armored or binary; FILE - reads standard input): their mail goes encrypted",
			mode: sharedStore, parse: parseKeyAdd},
		{path: "user key show", args: "ID [--armor] [--json]", summary: "show a member's OpenPGP key: fingerprint, where it came from",
			mode: sharedStore, parse: parseKeyShow},
		{path: "user key remove", args: "ID", summary: "forget a member's OpenPGP key: their mail goes plain again",
			mode: sharedStore, parse: parseKeyRemove},
	}
}

// keyView is what `user key show --json` prints.
type keyView struct {
	Member      string    `json:"member"`
	Fingerprint string    `json:"fingerprint"`
	Source      string    `json:"source"`
	Addr        string    `json:"addr,omitempty"`
	Updated     time.Time `json:"updated"`
	Addresses   []string  `json:"addresses,omitempty"`
	Usable      bool      `json:"usable"`
	Problem     string    `json:"problem,omitempty"`
	Armored     string    `json:"armored,omitempty"`
}

func parseKeyAdd(args []string) (action, error) {
	fs := newFlags("user key add")
	asJSON := fs.Bool("json", false, "print JSON")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return nil, err
	}
	if err := wantArgs(pos, "ID", "FILE"); err != nil {
		return nil, err
	}
	id, file := pos[0], pos[1]
	if err := validID("user", id); err != nil {
		return nil, err
	}
	var data []byte
	if file == "-" {
		data, err = io.ReadAll(io.LimitReader(os.Stdin, pgp.MaxKeyBytes+1))
	} else {
		data, err = os.ReadFile(file)
	}
	if err != nil {
		return nil, usagef("read key: %v", err)
	}
	key, err := pgp.ParsePublicKey(data, time.Now())
	if err != nil {
		return nil, usagef("%s: %v", file, err)
	}
	return func(ctx context.Context, a *app) error {
		mk := threads.MemberKey{Key: key.Bytes, Fingerprint: key.Fingerprint, Source: threads.KeyFromAdmin}
		if err := a.store.Directory.SetMemberKey(ctx, id, mk); err != nil {
			return err
		}
		if err := auditCLI(ctx, a, "user.key.add", id, key.Fingerprint); err != nil {
			return err
		}
		stored, err := a.store.Directory.MemberKey(ctx, id)
		if err != nil {
			return err
		}
		return printKey(a, id, stored, false, *asJSON)
	}, nil
}

func parseKeyShow(args []string) (action, error) {
	fs := newFlags("user key show")
	armored := fs.Bool("armor", false, "print the key itself, armored")
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
		k, err := a.store.Directory.MemberKey(ctx, id)
		if errors.Is(err, threads.ErrNotFound) {
			if _, uerr := a.store.Directory.User(ctx, id); uerr != nil {
				return uerr
			}
			return fmt.Errorf("%s has no OpenPGP key: %w", id, threads.ErrNotFound)
		}
		if err != nil {
			return err
		}
		return printKey(a, id, k, *armored, *asJSON)
	}, nil
}

func parseKeyRemove(args []string) (action, error) {
	fs := newFlags("user key remove")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return nil, err
	}
	id, err := oneID(pos, "ID", "user")
	if err != nil {
		return nil, err
	}
	return func(ctx context.Context, a *app) error {
		ok, err := a.store.Directory.RemoveMemberKey(ctx, id)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("%s has no OpenPGP key: %w", id, threads.ErrNotFound)
		}
		if err := auditCLI(ctx, a, "user.key.remove", id, ""); err != nil {
			return err
		}
		_, err = fmt.Fprintf(a.out, "removed the OpenPGP key of %s; their mail goes unencrypted\n", id)
		return err
	}, nil
}

// printKey prints a stored key, read again so that an expired or revoked
// one says so.
func printKey(a *app, id string, k threads.MemberKey, armored, asJSON bool) error {
	v := keyView{Member: id, Fingerprint: k.Fingerprint, Source: k.Source, Addr: k.Addr, Updated: k.Updated}
	key, err := pgp.ParsePublicKey(k.Key, time.Now())
	if err != nil {
		v.Problem = err.Error()
	} else {
		v.Usable, v.Addresses = true, key.Addresses()
		if armored {
			v.Armored = key.Armored()
		}
	}
	if asJSON {
		return writeJSON(a.out, v)
	}
	if armored && v.Armored != "" {
		_, err := fmt.Fprint(a.out, v.Armored)
		return err
	}
	rows := []string{"member:\t" + id, "fingerprint:\t" + v.Fingerprint, "source:\t" + v.Source,
		"updated:\t" + v.Updated.UTC().Format(time.RFC3339)}
	if v.Usable {
		rows = append(rows, "usable:\tyes; mail to "+id+" goes encrypted")
	} else {
		rows = append(rows, "usable:\tno ("+v.Problem+"); mail goes unencrypted")
	}
	return table(a.out, rows...)
}
