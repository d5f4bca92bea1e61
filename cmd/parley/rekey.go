package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"

	"parley/internal/blobs"
	"parley/threads"
)

// rekeyCommand is `parley admin rekey`: after a new PARLEY_DATA_KEY (the
// old one as PARLEY_DATA_KEY_PREVIOUS), or after turning the key on over
// plaintext data, it seals every value and file under the current key.
func rekeyCommand() command {
	return command{path: "admin rekey", args: "",
		summary: "seal every value in Redis (every master of a cluster) and every file under PARLEY_DATA_KEY: those under " +
			"PARLEY_DATA_KEY_PREVIOUS and those stored before the key; prints progress; safe to stop and run again",
		mode: sharedStore, parse: parseAdminRekey}
}

func parseAdminRekey(args []string) (action, error) {
	if err := parseNoArgs(newFlags("admin rekey"), args); err != nil {
		return nil, err
	}
	return func(ctx context.Context, a *app) error {
		box, err := a.cfg.Crypto.dataBox()
		if err != nil {
			return err
		}
		if box == nil {
			return usagef("admin rekey needs PARLEY_DATA_KEY (the key to seal under) and, to rotate, PARLEY_DATA_KEY_PREVIOUS (the key it replaces)")
		}
		prev := box.PreviousKeyID()
		if prev == "" {
			prev = "none"
		}
		fmt.Fprintf(a.out, "sealing under data key %s (previous: %s)\n", box.KeyID(), prev)
		pr := &stepPrinter{out: a.out, what: "redis", unit: "keys"}
		p, err := a.store.Rekey(ctx, func(p threads.RekeyProgress) { pr.show(p.Done, p.Keys, p.Resealed) })
		if err != nil {
			return fmt.Errorf("rekey stopped at %d of %d keys (run it again to go on): %w", p.Done, p.Keys, err)
		}
		files, err := fileStore(a.cfg)
		if err != nil {
			return err
		}
		var fp blobs.ResealProgress
		if files != nil {
			pr = &stepPrinter{out: a.out, what: "files", unit: "files"}
			fp, err = files.Reseal(ctx, func(p blobs.ResealProgress) { pr.show(p.Done, p.Files, p.Resealed) })
			if err != nil {
				return fmt.Errorf("rekey stopped at %d of %d files (run it again to go on): %w", fp.Done, fp.Files, err)
			}
		}
		detail := fmt.Sprintf("%d values and %d files sealed again under %s", p.Resealed, fp.Resealed, box.KeyID())
		if err := auditCLI(ctx, a, "data.rekey", "data key", detail); err != nil {
			return err
		}
		_, err = fmt.Fprintf(a.out, "done: %d keys, %d values sealed again, %d already under %s; %d files, %d sealed again%s\n",
			p.Keys, p.Resealed, p.Current, box.KeyID(), fp.Files, fp.Resealed, filesNote(files))
		if err == nil && box.PreviousKeyID() != "" {
			_, err = fmt.Fprintf(a.out, "nothing is sealed under %s any more: PARLEY_DATA_KEY_PREVIOUS can go once every process has the new key\n", box.PreviousKeyID())
		}
		return err
	}, nil
}

func filesNote(files *blobs.Store) string {
	if files == nil {
		return " (PARLEY_BLOB_DIR not set)"
	}
	return ""
}

// stepPrinter prints progress at the start, at every tenth of the way,
// and at the end.
type stepPrinter struct {
	out        io.Writer
	what, unit string
	printed    bool
	step       int // tenths printed so far
}

func (s *stepPrinter) show(done, total, resealed int) {
	pct := 100
	if total > 0 {
		pct = done * 100 / total
	}
	if s.printed && pct/10 <= s.step && done != total {
		return
	}
	s.printed, s.step = true, pct/10
	fmt.Fprintf(s.out, "%s: %3d%% (%d/%d %s), %d sealed again\n", s.what, pct, done, total, s.unit, resealed)
}

// logDataKey says at start whether data is sealed at rest, by key id (an
// id names a key; it does not reveal it), and whether a rotation waits
// for `parley admin rekey`.
func logDataKey(log *slog.Logger, st threads.DataKeyState) {
	switch {
	case st.KeyID == "":
		log.Info("data at rest: not sealed (no PARLEY_DATA_KEY)")
	case st.Rotating:
		log.Warn("data at rest: sealed; values under the previous key wait for parley admin rekey", "key_id", st.KeyID, "previous_key_id", st.SealedUnder)
	default:
		log.Info("data at rest: sealed with AES-256-GCM", "key_id", st.KeyID)
	}
}
