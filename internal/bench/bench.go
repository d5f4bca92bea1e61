// Package bench measures parley's headline figures beside a peer on the
// same machine, for parley bench: each figure and its peer run in
// alternating rounds of one run, so that load from elsewhere falls on
// both alike, and the ratio is what to read.
//
// Everything runs on loopback: a redis-server of the bench's own (the
// embedded store when redis-server is not installed), an in-process
// go-smtp sink as the smarthost and a discard go-smtp server as the SMTP
// door's peer; Postfix's smtp-source and redis-benchmark are the
// peers when installed, found where the tests find them.
package bench

import (
	"context"
	"fmt"
	"os"

	"parley/internal/gcpolicy"
	"runtime"
	"slices"
	"strings"
	"time"
)

// Names are the figures, in the order they run and print.
var Names = []string{"fanout", "relay", "inbound", "floor", "durable", "latency", "live", "bytes"}

// Options say what to measure.
type Options struct {
	// Quick makes every figure small enough for the whole run to finish in
	// under a minute.
	Quick bool
	// Only lists the figures to run (Names); all when empty.
	Only []string
	// Progress, when set, receives a line as each figure starts.
	Progress func(figure string)
	// Look finds the programs the bench runs (redis-server,
	// redis-benchmark, smtp-source); nil looks where the tests do: PATH,
	// and /usr/sbin for Postfix's.
	Look Look
	// Dir holds the files of the servers the bench starts; a temporary
	// directory when empty.
	Dir string
}

// Figure is one row of the report.
type Figure struct {
	Name   string `json:"name"`
	What   string `json:"what"`
	Parley string `json:"parley"`
	Peer   string `json:"peer"`
	// Ratio is parley's figure over the peer's in percent, 0 when there is
	// no peer.
	Ratio  float64 `json:"ratio,omitempty"`
	Target string  `json:"target"`
	// Note says what stopped the figure (a peer not installed) or what to
	// know to read it.
	Note string `json:"note,omitempty"`
	// Values are the raw numbers, by name, for scripts.
	Values map[string]float64 `json:"values,omitempty"`
	// Verdict says whether the figure met its target in this run: Met,
	// Missed, Failed, NotChecked or Reported (verdict.go has the rule).
	Verdict string `json:"verdict"`
	// Why says which bound a missed figure broke, or why its target was
	// not checked.
	Why string `json:"why,omitempty"`
	// CPU is the machine's CPU a unit of work of parley and of the peer
	// (cpu.go), and the peer's over parley's in percent: what the ratio
	// would be if both sides kept the machine's cores as busy.
	CPU string `json:"cpu,omitempty"`

	// err is what stopped the figure, or its missing peer.
	err error
}

// Machine is the machine line.
type Machine struct {
	CPU   string `json:"cpu"`
	Cores int    `json:"cores"`
	Go    string `json:"go"`
	Redis string `json:"redis"`
}

// String is the machine line of the report.
func (m Machine) String() string {
	return fmt.Sprintf("%s, %d cores, %s, Redis %s", m.CPU, m.Cores, m.Go, m.Redis)
}

// Report is the result of a run.
type Report struct {
	Machine Machine  `json:"machine"`
	Quick   bool     `json:"quick"`
	Figures []Figure `json:"figures"`
	// Elapsed is the run's wall time, in seconds.
	Elapsed float64 `json:"elapsed_s"`
}

// figureFunc measures one figure.
type figureFunc func(ctx context.Context, r *run) Figure

var figures = map[string]figureFunc{
	"fanout":  fanout,
	"relay":   relay,
	"inbound": inboundFigure,
	"floor":   floorFigure,
	"durable": durable,
	"latency": latency,
	"live":    live,
	"bytes":   bytesFigure,
}

// run is what the figures of one run share.
type run struct {
	opts  Options
	dir   string
	redis *server
}

// rounds is the number of timed rounds per side.
func (r *run) rounds() int {
	if r.opts.Quick {
		return 2
	}
	return 7
}

// size picks the quick or the full size of a load.
func (r *run) size(quick, full int) int {
	if r.opts.Quick {
		return quick
	}
	return full
}

// CheckNames reports an unknown figure name in only.
func CheckNames(only []string) error {
	for _, n := range only {
		if !slices.Contains(Names, n) {
			return fmt.Errorf("unknown figure %q (figures: %s)", n, strings.Join(Names, ","))
		}
	}
	return nil
}

// Run measures the figures opts asks for.
func Run(ctx context.Context, opts Options) (Report, error) {
	if err := CheckNames(opts.Only); err != nil {
		return Report{}, err
	}
	start := time.Now()
	defer gcpolicy.Apply()() // as parley serve runs
	raiseFileLimit(uint64(3*liveClients(opts.Quick) + 1024))
	if opts.Look == nil {
		opts.Look = lookProgram
	}
	r := &run{opts: opts, dir: opts.Dir}
	if r.dir == "" {
		dir, err := os.MkdirTemp("", "parley-bench-")
		if err != nil {
			return Report{}, err
		}
		defer os.RemoveAll(dir)
		r.dir = dir
	}
	redis, err := startRedis(opts.Look, r.subdir("redis"), true)
	if err != nil {
		return Report{}, err
	}
	defer redis.Close()
	r.redis = redis
	rep := Report{Quick: opts.Quick, Machine: Machine{CPU: cpuModel(), Cores: runtime.NumCPU(), Go: runtime.Version(),
		Redis: redis.version(ctx)}}
	for _, name := range Names {
		if len(opts.Only) > 0 && !slices.Contains(opts.Only, name) {
			continue
		}
		if opts.Progress != nil {
			opts.Progress(name)
		}
		if err := ctx.Err(); err != nil {
			return rep, err
		}
		_ = redis.Client.FlushAll(ctx).Err()
		f := figures[name](ctx, r)
		f.Name = name
		judge(&f, opts.Quick, redis.Kind != "redis-server")
		if redis.Kind != "redis-server" && f.Note == "" && name != "bytes" {
			f.Note = "embedded store (redis-server not installed): not comparable"
		}
		rep.Figures = append(rep.Figures, f)
	}
	rep.Elapsed = time.Since(start).Seconds()
	return rep, nil
}

// subdir makes a directory in the run's directory.
func (r *run) subdir(name string) string {
	dir, err := os.MkdirTemp(r.dir, name+"-")
	if err != nil {
		return r.dir
	}
	return dir
}

// failed is a figure that could not be measured.
func failed(what, target string, err error) Figure {
	return Figure{What: what, Parley: "—", Peer: "—", Target: target, Note: err.Error(), err: err}
}

// alternate runs parley's round and the peer's round times rounds after one
// warm-up each, swapping their order every round so that neither always
// runs on a warmer machine, and returns the time of each round.
func alternate(rounds int, parley, peer func() (time.Duration, error)) (paired, error) {
	if _, err := parley(); err != nil {
		return paired{}, err
	}
	if _, err := peer(); err != nil {
		return paired{}, err
	}
	var p paired
	for i := range rounds {
		first, second := parley, peer
		if i%2 == 1 {
			first, second = peer, parley
		}
		d1, c1, err := metered(first)
		if err != nil {
			return paired{}, err
		}
		d2, c2, err := metered(second)
		if err != nil {
			return paired{}, err
		}
		if i%2 == 1 {
			d1, d2, c1, c2 = d2, d1, c2, c1
		}
		p.parley, p.cpuParley = append(p.parley, d1), append(p.cpuParley, c1)
		p.peer, p.cpuPeer = append(p.peer, d2), append(p.cpuPeer, c2)
	}
	return p, nil
}

// paired is the timed rounds of parley and its peer; round i of each ran
// side by side. cpuParley and cpuPeer are the machine's busy CPU time in
// each round (metered; -1 where it could not be read).
type paired struct{ parley, peer, cpuParley, cpuPeer []time.Duration }

// rates turns the rounds into rates, given the work of one round of each
// side (jobs, emails, messages): the median round's rate of each side, and
// the median of the rounds' ratios (parley's over the peer's, in percent).
// Medians, because other work on a shared machine slows some rounds of
// either side several times over: a mean would follow those rounds, while
// the ratio of two rounds that ran side by side mostly keeps its value.
func (p paired) rates(workParley, workPeer float64) (parley, peer, ratio float64) {
	var rp, rq, ratios []float64
	for i := range p.parley {
		a, b := workParley/p.parley[i].Seconds(), workPeer/p.peer[i].Seconds()
		rp, rq, ratios = append(rp, a), append(rq, b), append(ratios, 100*a/b)
	}
	return median(rp), median(rq), median(ratios)
}

// median is the median of v (the mean of the middle two for an even
// count), 0 for none.
func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	v = slices.Clone(v)
	slices.Sort(v)
	if n := len(v); n%2 == 0 {
		return (v[n/2-1] + v[n/2]) / 2
	}
	return v[len(v)/2]
}

// rate formats a rate per second.
func rate(v float64, unit string) string {
	return fmt.Sprintf("%s %s", thousands(v), unit)
}

// thousands formats v rounded, with commas.
func thousands(v float64) string {
	s := fmt.Sprintf("%.0f", v)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// cpuModel is the CPU's model name from /proc/cpuinfo, else GOARCH.
func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err == nil {
		for line := range strings.SplitSeq(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				return strings.TrimSpace(v)
			}
		}
	}
	return runtime.GOARCH
}
