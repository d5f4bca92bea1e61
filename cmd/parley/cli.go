package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"parley/threads"
)

// Exit codes.
const (
	exitOK      = 0
	exitRuntime = 1 // the command was well formed but failed
	exitUsage   = 2 // the command line or the configuration is wrong
)

// usageError is a mistake in the command line or the configuration: exit 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// exitCode maps an error to the process's exit code. Input that breaks one
// of the engine's rules (threads.ErrInvalid: a malformed phone, a direct room
// given a third member) is a usage error like a bad flag; a missing user or
// room, a taken id and an unreachable Redis are runtime errors.
func exitCode(err error) int {
	var ue *usageError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &ue), errors.Is(err, threads.ErrInvalid), errors.Is(err, errNeedRedis):
		return exitUsage
	}
	return exitRuntime
}

// storeMode says what store a command needs.
type storeMode int

const (
	// noStore: the command opens no store (help), or opens its own (serve, demo).
	noStore storeMode = iota
	// sharedStore: an admin command; it needs PARLEY_REDIS_URL.
	sharedStore
	// noConfig: the command reads no configuration either (version): a
	// broken configuration does not stop it.
	noConfig
)

// app is what an action works with.
type app struct {
	cfg   Config
	store *threads.Store // nil for noStore commands
	out   io.Writer
	log   *slog.Logger
	now   func() time.Time
}

// action does a command's work once its arguments are parsed.
type action func(ctx context.Context, a *app) error

// command is one leaf of the command tree, such as "room create".
type command struct {
	path    string // words after "parley"
	args    string // synopsis of the arguments
	summary string
	mode    storeMode
	// parse checks the arguments and returns the work to do. It does no I/O:
	// usage errors come before any connection is made.
	parse func(args []string) (action, error)
}

// commands lists every command, in the order help shows them.
func commands() []command {
	var out []command
	for _, group := range [][]command{serveCommands(), userCommands(), profileCommands(), roomCommands(), lineCommands(),
		presenceCommands(), queueCommands(), outboxCommands(), digestCommands(), transcriptCommands(), adminCommands(),
		replytestCommands(), trustCommands(), versionCommands(), benchCommands(), keyCommands(), confidentialCommands()} {
		out = append(out, group...)
	}
	return out
}

// findCommand finds the command named by the first words of args and
// returns it with the remaining arguments.
func findCommand(args []string) (command, []string, error) {
	all := commands()
	var groupCmds []string
	for _, c := range all {
		words := strings.Fields(c.path)
		if len(args) >= len(words) && strings.Join(args[:len(words)], " ") == c.path {
			return c, args[len(words):], nil
		}
		if len(words) == 2 && words[0] == args[0] {
			groupCmds = append(groupCmds, words[1])
		}
	}
	if len(groupCmds) > 0 {
		if len(args) == 1 {
			return command{}, nil, usagef("%s needs a subcommand: %s (see parley help)", args[0], strings.Join(groupCmds, ", "))
		}
		return command{}, nil, usagef("unknown command %q; %s has %s (see parley help)", args[0]+" "+args[1], args[0], strings.Join(groupCmds, ", "))
	}
	return command{}, nil, usagef("unknown command %q (see parley help)", args[0])
}

// newFlags returns a flag set that reports errors to the caller only.
func newFlags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return fs
}

// parseFlags parses args with fs, allowing flags after positional arguments
// (`parley room show design --json`); "--" ends the flags. It returns the
// positional arguments.
func parseFlags(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, usagef("%v", err)
		}
		rest := fs.Args()
		if n := len(args) - len(rest); n > 0 && args[n-1] == "--" {
			return append(pos, rest...), nil
		}
		if len(rest) == 0 {
			return pos, nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// parseNoArgs parses the flags of a command that takes no positional
// argument.
func parseNoArgs(fs *flag.FlagSet, args []string) error {
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	return wantArgs(pos)
}

// listFlag collects a flag that may repeat and hold comma-separated values.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }

func (l *listFlag) Set(v string) error {
	for _, part := range strings.Split(v, ",") {
		if part = strings.TrimSpace(part); part != "" {
			*l = append(*l, part)
		}
	}
	return nil
}

// need returns a usage error when a required flag is empty.
func need(values ...string) error {
	for i := 0; i+1 < len(values); i += 2 {
		if strings.TrimSpace(values[i+1]) == "" {
			return usagef("missing --%s", values[i])
		}
	}
	return nil
}

// wantArgs checks the number of positional arguments against names.
func wantArgs(pos []string, names ...string) error {
	if len(pos) < len(names) {
		return usagef("missing %s", strings.Join(names[len(pos):], " and "))
	}
	if len(pos) > len(names) {
		return usagef("unexpected argument %q", pos[len(names)])
	}
	return nil
}

// oneID takes the one positional argument, named arg in messages, as the
// id of a kind ("user", "room") and checks it.
func oneID(pos []string, arg, kind string) (string, error) {
	if err := wantArgs(pos, arg); err != nil {
		return "", err
	}
	if err := validID(kind, pos[0]); err != nil {
		return "", err
	}
	return pos[0], nil
}

// validID checks an id given on the command line before anything is read.
// Like every threads.ErrInvalid, a bad id exits with the usage code.
func validID(kind, id string) error {
	return threads.ValidID(kind, id)
}
