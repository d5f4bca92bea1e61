package bench

import (
	"errors"
	"fmt"
	"strings"
)

// The rule for judging a run:
//
//   - A figure that could not be measured (an error, not a missing peer)
//     fails the run, quick or full.
//   - Targets that do not depend on the machine (the bytes figure) are
//     checked in every run.
//   - Targets that move with the machine's speed and load (ratios beside a
//     peer, latencies, RSS per client) are checked in a full run only: a
//     --quick run is too short for them, and CI runs it on a shared
//     machine, so there it reports them as "not checked (--quick)".
//   - A figure without its peer, or run on the embedded store, is reported
//     and not checked.

// Verdicts of a figure.
const (
	// Met: every checked bound of the figure's target holds.
	Met = "met"
	// Missed: a bound does not hold; Figure.Why says which.
	Missed = "missed"
	// Failed: the figure could not be measured; Figure.Note says why.
	Failed = "failed"
	// NotChecked: measured, but its target is not checked in this run.
	NotChecked = "not checked"
	// Reported: the figure has no target.
	Reported = "report only"
)

// bound is one checked part of a figure's target.
type bound struct {
	// value names the number: a key of Figure.Values, or "ratio".
	value string
	// below: the value must be < limit (≤ limit with orEqual); otherwise
	// it must be ≥ limit.
	below, orEqual bool
	limit          float64
	// machine: the value moves with the machine's speed and load, so a
	// --quick run does not check it.
	machine bool
	// show formats the bound in a verdict ("p99 < 20 ms").
	show string
}

// targets are the checked bounds of each figure, as their Target strings
// say them. A figure not listed has no target.
var targets = map[string][]bound{
	"fanout":  {{value: "ratio", limit: 50, machine: true, show: "≥ 50% of the peer"}},
	"relay":   {{value: "ratio", limit: 75, machine: true, show: "≥ 75% of the peer"}},
	"inbound": {{value: "ratio", limit: 80, machine: true, show: "≥ 80% of the peer"}},
	"latency": {{value: "p99_ms", below: true, limit: 20, machine: true, show: "p99 < 20 ms"}},
	"live": {
		{value: "p99_ms", below: true, limit: 200, machine: true, show: "p99 < 200 ms"},
		{value: "rss_kb_per_client", below: true, orEqual: true, limit: 40, machine: true, show: "≤ 40 KB RSS per client"},
	},
	"bytes": {
		{value: "relay_email_bytes", below: true, orEqual: true, limit: 4096, show: "relay email ≤ 4 KB"},
		{value: "first_room_load_bytes", below: true, orEqual: true, limit: 10240, show: "first room load ≤ 10 KB"},
		{value: "sms_segments", below: true, orEqual: true, limit: 1, show: "1 SMS segment"},
	},
}

// judge sets f's verdict for a run (quick or full; embedded: on the
// embedded store, where ratios are not comparable).
func judge(f *Figure, quick, embedded bool) {
	bounds, hasTarget := targets[f.Name]
	switch {
	case f.err != nil && !isNoPeer(f.err):
		f.Verdict = Failed
		return
	case !hasTarget:
		f.Verdict = Reported
		return
	case f.err != nil:
		f.Verdict, f.Why = NotChecked, "peer not installed"
		return
	}
	var missed, skipped []string
	for _, b := range bounds {
		if b.machine && (quick || embedded) {
			skipped = append(skipped, b.show)
			continue
		}
		v, ok := f.value(b.value)
		if !ok {
			f.Verdict, f.Note = Failed, strings.TrimPrefix(f.Note+"; ", "; ")+"no "+b.value+" measured"
			return
		}
		if !b.holds(v) {
			missed = append(missed, fmt.Sprintf("%s is %.4g, target %s", b.value, v, b.show))
		}
	}
	switch {
	case len(missed) > 0:
		f.Verdict, f.Why = Missed, strings.Join(missed, "; ")
	case len(skipped) == len(bounds):
		f.Verdict = NotChecked
		if quick {
			f.Why = "--quick"
		} else {
			f.Why = "embedded store"
		}
	default:
		f.Verdict = Met
	}
}

// holds tells whether v is within the bound.
func (b bound) holds(v float64) bool {
	switch {
	case b.below && b.orEqual:
		return v <= b.limit
	case b.below:
		return v < b.limit
	}
	return v >= b.limit
}

// value reads one of f's numbers by name.
func (f *Figure) value(name string) (float64, bool) {
	if name == "ratio" {
		return f.Ratio, f.Ratio > 0
	}
	v, ok := f.Values[name]
	return v, ok
}

func isNoPeer(err error) bool {
	var np errNoPeer
	return errors.As(err, &np)
}

// Check returns an error naming every figure that missed its target or
// could not be measured, nil when there is none: parley bench exits
// non-zero on it.
func (rep Report) Check() error {
	var bad []string
	for _, f := range rep.Figures {
		switch f.Verdict {
		case Missed:
			bad = append(bad, f.Name+" missed its target ("+f.Why+")")
		case Failed:
			bad = append(bad, f.Name+" could not be measured ("+f.Note+")")
		}
	}
	if len(bad) == 0 {
		return nil
	}
	return fmt.Errorf("bench: %s", strings.Join(bad, "; "))
}

// verdictCell is the verdict as the table shows it.
func (f Figure) verdictCell() string {
	switch {
	case f.Verdict == Missed:
		return "**missed**: " + f.Why
	case f.Verdict == Failed:
		return "**failed**"
	case f.Why != "" && f.Verdict == NotChecked:
		return NotChecked + " (" + f.Why + ")"
	case f.Verdict == "":
		return "—"
	}
	return f.Verdict
}
