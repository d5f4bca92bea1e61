package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// WriteMarkdown writes the report as the machine line and one table.
func (rep Report) WriteMarkdown(w io.Writer) error {
	var b strings.Builder
	kind := "full run"
	if rep.Quick {
		kind = "--quick"
	}
	fmt.Fprintf(&b, "Machine: %s (%s, %.0f s)\n\n", rep.Machine, kind, rep.Elapsed)
	b.WriteString("| figure | parley | peer | ratio | machine CPU a unit: parley / peer | target | verdict |\n|---|---|---|---|---|---|---|\n")
	for _, f := range rep.Figures {
		ratio := "—"
		if f.Ratio > 0 {
			ratio = fmt.Sprintf("%.0f%%", f.Ratio)
		}
		peer := f.Peer
		if f.Note != "" {
			if peer == "—" || peer == "" {
				peer = f.Note
			} else {
				peer += "; " + f.Note
			}
		}
		cpu := f.CPU
		if cpu == "" {
			cpu = "—"
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s |\n", cell(f.What), cell(f.Parley), cell(peer), ratio, cell(cpu),
			cell(f.Target), cell(f.verdictCell()))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteJSON writes the report as one JSON object.
func (rep Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(rep)
}

// cell keeps a table cell on one line and its pipes escaped.
func cell(s string) string {
	s = strings.ReplaceAll(s, "\n", " ")
	return strings.ReplaceAll(s, "|", `\|`)
}
