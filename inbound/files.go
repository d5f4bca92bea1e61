package inbound

import (
	"fmt"

	"parley/threads"
)

// DescribeFiles names a line's files for its text: "report.pdf (240 KB)
// and 2 more"; "" for none. Every door that takes files says it this way.
func DescribeFiles(atts []threads.Attachment) string {
	if len(atts) == 0 {
		return ""
	}
	d := fmt.Sprintf("%s (%s)", atts[0].Name, humanSize(atts[0].Size))
	if len(atts) > 1 {
		d += fmt.Sprintf(" and %d more", len(atts)-1)
	}
	return d
}

func humanSize(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%d KB", (n+512)>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}
