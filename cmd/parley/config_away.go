package main

// awaySettings configure away auto-replies.
var awaySettings = []setting{
	{env: "PARLEY_AUTOREPLY_PERIOD", key: "autoreply_period", def: "24h",
		desc:  "an away auto-reply goes to one sender at most once in this period (RFC 5230 advises at least a day)",
		apply: func(c *Config, v string) (err error) { c.AutoReplyPeriod, err = positiveDuration(v); return err },
		show:  func(c *Config) string { return c.AutoReplyPeriod.String() }},
}
