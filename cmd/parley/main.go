// Command parley is the one parley binary: the server (serve), a
// self-contained demonstration (demo) and the admin commands (user, room,
// post, lines, tail, presence, queue). Run `parley help` for the list.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
	_ "time/tzdata" // time zones work on machines without zoneinfo

	"github.com/redis/go-redis/v9"
)

func main() {
	// go-redis logs connection failures itself, on stderr, with the log
	// package; parley reports them as one line instead. They stay available
	// at debug level.
	redis.SetLogger(redisLog{slog.New(slog.NewTextHandler(os.Stderr, nil))})
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		<-ctx.Done()
		stop() // a second Ctrl-C during shutdown kills at once
	}()
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(code)
}

// run is the whole program: parse the global flags, load the configuration,
// find the command, parse its arguments, open the store it needs and run
// it. It returns the exit code. Errors are one line on stderr.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	global := newFlags("parley")
	configPath := global.String("config", "", "TOML configuration file")
	showVersion := global.Bool("version", false, "print the version, as parley version does")
	if err := global.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return printHelp(stdout, *configPath, getenv)
		}
		return fail(stderr, Config{}, usagef("%v (see parley help)", err))
	}
	args = global.Args()
	if *showVersion {
		if len(args) > 0 {
			return fail(stderr, Config{}, usagef("--version takes no command (see parley help)"))
		}
		args = []string{"version"}
	}
	if len(args) == 0 {
		writeHelp(stderr, *configPath, getenv)
		return exitUsage
	}
	if isHelpWord(args[0]) {
		if len(args) > 1 && writeTopicHelp(stdout, args[1:]) {
			return exitOK
		}
		return printHelp(stdout, *configPath, getenv)
	}
	if len(args) == 2 && isHelpWord(args[1]) && writeTopicHelp(stdout, args[:1]) {
		return exitOK // parley user -h
	}

	cmd, rest, err := findCommand(args)
	if err != nil {
		return fail(stderr, Config{}, err)
	}
	act, err := cmd.parse(rest)
	if errors.Is(err, flag.ErrHelp) {
		writeCommandHelp(stdout, cmd)
		return exitOK
	}
	if err != nil {
		var ue *usageError
		if errors.As(err, &ue) {
			return fail(stderr, Config{}, usagef("%s: %v (usage: parley %s)", cmd.path, err, strings.TrimSpace(cmd.path+" "+cmd.args)))
		}
		return fail(stderr, Config{}, fmt.Errorf("%s: %w", cmd.path, err))
	}

	if cmd.mode == noConfig {
		if err := act(ctx, &app{out: stdout, log: slog.New(slog.DiscardHandler), now: time.Now}); err != nil {
			return fail(stderr, Config{}, err)
		}
		return exitOK
	}
	cfg, err := LoadConfig(*configPath, getenv)
	if err != nil {
		return fail(stderr, cfg, usagef("%v", err))
	}
	a := &app{cfg: cfg, out: &lockedWriter{w: stdout}, log: newLogger(cfg, stderr), now: time.Now}
	if cmd.mode == sharedStore {
		b, err := openBackend(ctx, cfg, openOptions{})
		if errors.Is(err, errNeedRedis) {
			return fail(stderr, cfg, fmt.Errorf("%s %w", strings.Fields(cmd.path)[0], err))
		}
		if err != nil {
			return fail(stderr, cfg, err)
		}
		defer b.Close()
		a.store = b.store
	}
	if err := act(ctx, a); err != nil {
		return fail(stderr, cfg, err)
	}
	return exitOK
}

// fail prints err as one line, with the Redis password and the secret
// scrubbed in case some message quotes them, and returns its exit code.
func fail(stderr io.Writer, cfg Config, err error) int {
	msg := err.Error()
	if cfg.RedisURL != "" {
		msg = redactAll(msg, cfg.RedisURL)
	}
	if len(cfg.Secret) >= 8 {
		msg = strings.ReplaceAll(msg, cfg.Secret, "***")
	}
	msg = strings.Join(strings.Fields(strings.ReplaceAll(msg, "\n", "; ")), " ")
	fmt.Fprintf(stderr, "parley: %s\n", msg)
	return exitCode(err)
}

// redisLog passes go-redis's own log messages to slog at debug level.
type redisLog struct{ log *slog.Logger }

func (l redisLog) Printf(ctx context.Context, format string, v ...any) {
	l.log.DebugContext(ctx, fmt.Sprintf(format, v...), "from", "go-redis")
}

// newLogger writes to w in the configured format.
func newLogger(cfg Config, w io.Writer) *slog.Logger {
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, nil))
	}
	return slog.New(slog.NewTextHandler(w, nil))
}
