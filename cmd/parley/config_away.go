package main

import "time"

// awaySettings configure away auto-replies.
var awaySettings = []setting{
	{env: "PARLEY_AUTOREPLY_PERIOD", key: "autoreply_period", def: "24h",
		desc:  "an away auto-reply goes to one sender at most once in this period (RFC 5230 advises at least a day)",
		apply: func(c *Config, v string) (err error) { c.AutoReplyPeriod, err = positiveDuration(v); return err },
		show:  func(c *Config) string { return c.AutoReplyPeriod.String() }},
	{env: "PARLEY_ESCALATE_AFTER", key: "escalate_after", def: "30m",
		desc:  "a direct line, mention or !urgent line neither seen on the web nor answered within this time goes out once more on the member's next channel (email, then text); off: never (members may set their own)",
		apply: func(c *Config, v string) (err error) { c.EscalateAfter, err = escalateAfter(v); return err },
		show: func(c *Config) string {
			if c.EscalateAfter < 0 {
				return "off"
			}
			return c.EscalateAfter.String()
		}},
}

// escalateAfter reads PARLEY_ESCALATE_AFTER: "off" (negative) or a
// positive duration.
func escalateAfter(v string) (time.Duration, error) {
	if v == "off" {
		return -1, nil
	}
	return positiveDuration(v)
}
