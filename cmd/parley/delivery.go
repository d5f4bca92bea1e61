package main

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"sort"
	"strings"

	"parley/threads"
)

// channelWord names a channel as people say it: "email", "text".
func channelWord(c threads.Channel) string {
	if c == threads.SMS {
		return "text"
	}
	return string(c)
}

// escalatesText is "; escalates to text at 10:32" for a member whose line
// escalates (times in the local zone), or "".
func escalatesText(es map[string]threads.Escalation, member string) string {
	e, ok := es[member]
	if !ok {
		return ""
	}
	return "; escalates to " + channelWord(e.Channel) + " at " + e.At.Local().Format("15:04")
}

// deliveryText is "by email 10:02, by text 10:32".
func deliveryText(ds []threads.Delivery) string {
	parts := make([]string, len(ds))
	for i, d := range ds {
		parts[i] = "by " + channelWord(d.Channel) + " " + d.At.Local().Format("15:04")
	}
	return strings.Join(parts, ", ")
}

// deliveryView is what `parley delivery --json` prints.
type deliveryView struct {
	Room      string                        `json:"room"`
	Line      string                        `json:"line"`
	Reached   map[string][]threads.Delivery `json:"reached"`
	Escalates map[string]threads.Escalation `json:"escalates,omitempty"`
}

func parseDelivery(args []string) (action, error) {
	fs := newFlags("delivery")
	room := fs.String("room", "", "room id")
	asJSON := fs.Bool("json", false, "print JSON")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return nil, err
	}
	if err := need("room", *room); err != nil {
		return nil, err
	}
	if err := validID("room", *room); err != nil {
		return nil, err
	}
	if len(pos) != 1 {
		return nil, usagef("give one LINE id")
	}
	line := pos[0]
	return func(ctx context.Context, a *app) error {
		reached, pending, err := a.store.Chat.Reached(ctx, *room, line)
		if err != nil {
			return err
		}
		if *asJSON {
			return writeJSON(a.out, deliveryView{Room: *room, Line: line, Reached: reached, Escalates: pending})
		}
		members := make([]string, 0, len(reached)+len(pending))
		for m := range reached {
			members = append(members, m)
		}
		for m := range pending {
			if _, ok := reached[m]; !ok {
				members = append(members, m)
			}
		}
		sort.Strings(members)
		var b strings.Builder
		for _, m := range members {
			name := m
			if u, err := a.store.Directory.User(ctx, m); err == nil {
				name = u.Name
			}
			fmt.Fprintf(&b, "%s: %s%s\n", name, cmp.Or(deliveryText(reached[m]), "not sent yet"), escalatesText(pending, m))
		}
		if len(members) == 0 {
			b.WriteString("(the line needed nobody: it went live, by email or by text as routed, without escalation)\n")
		}
		_, err = io.WriteString(a.out, b.String())
		return err
	}, nil
}
