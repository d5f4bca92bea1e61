package threads

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// A queue entry holds the jobs of one line for the members of one shard:
// fan-out writes one entry per shard, not one per member, so a line to a
// room of fifty is a handful of stream writes instead of forty-nine. Its
// field "g" is
//
//	{"room":R,"line":L,"queued":T,"now":true,"to":[[MEMBER,CHANNEL],...]}
//
// ("now" only when set). Entries written by an earlier parley hold one job
// each, as the job's JSON in field "j"; both are read. The jobs of one
// entry are claimed together and settled together (Queue.Gather,
// Queue.Ack): the entry leaves the stream when all of them are gathered.

// jobGroup is a queue entry's "g" field.
type jobGroup struct {
	Room   string      `json:"room"`
	Line   string      `json:"line"`
	Queued time.Time   `json:"queued"`
	Now    bool        `json:"now,omitempty"`
	To     [][2]string `json:"to"`
}

// sameEntry reports whether a and b can share a queue entry: one line,
// queued at one time, and new (jobs on the streams are; attempts are
// counted on batches).
func sameEntry(a, b Job) bool {
	return a.Room == b.Room && a.Line == b.Line && a.Queued.Equal(b.Queued) && a.Now == b.Now
}

// groupJSON is json.Marshal of g, written by hand when every string is
// plainJSON (see jobjson.go): fan-out writes one per shard for every line.
func groupJSON(g jobGroup) []byte {
	plain := plainJSON(g.Room) && plainJSON(g.Line) && g.Queued.Year() >= 0 && g.Queued.Year() <= 9999
	for _, to := range g.To {
		plain = plain && plainJSON(to[0]) && plainJSON(to[1])
	}
	if !plain {
		data, _ := json.Marshal(g) // strings, a bool and a time: cannot fail
		return data
	}
	b := make([]byte, 0, 96+24*len(g.To))
	b = appendField(b, `{"room":`, g.Room)
	b = appendField(b, `,"line":`, g.Line)
	b = append(g.Queued.AppendFormat(append(b, `,"queued":"`...), time.RFC3339Nano), '"')
	if g.Now {
		b = append(b, `,"now":true`...)
	}
	b = append(b, `,"to":[`...)
	for i, to := range g.To {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendField(b, `[`, to[0])
		b = appendField(b, `,`, to[1])
		b = append(b, ']')
	}
	return append(b, `]}`...)
}

// errNoJobs is an entry that is neither a job group nor a job.
var errNoJobs = errors.New("no job fields")

// decodeEntry reads the jobs of a queue entry's fields, and the raw text
// it read them from (kept with a dead letter when it cannot be read).
func decodeEntry(values map[string]any) ([]Job, string, error) {
	if data, ok := values["g"].(string); ok {
		var g jobGroup
		if err := json.Unmarshal([]byte(data), &g); err != nil {
			return nil, data, err
		}
		if len(g.To) == 0 {
			return nil, data, fmt.Errorf("a job group for no member")
		}
		jobs := make([]Job, len(g.To))
		for i, to := range g.To {
			jobs[i] = Job{Room: g.Room, Line: g.Line, Member: to[0], Channel: Channel(to[1]), Queued: g.Queued, Now: g.Now}
		}
		return jobs, data, nil
	}
	data, ok := values["j"].(string)
	if !ok {
		return nil, "", errNoJobs
	}
	var d Job
	if err := json.Unmarshal([]byte(data), &d); err != nil {
		return nil, data, err
	}
	return []Job{d}, data, nil
}
