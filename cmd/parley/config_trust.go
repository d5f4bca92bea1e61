package main

// trustSettings configure what parley believes of the mail it receives
// and how its keys rotate (issue 20).
var trustSettings = []setting{
	{env: "PARLEY_SECRET_PREVIOUS", key: "secret_previous", def: "", secret: true,
		desc:  "the secret before the last rotation: reply and bounce addresses made under it keep working until it is removed",
		apply: func(c *Config, v string) error { c.SecretPrevious = v; return nil }},
	{env: "PARLEY_BOUNCE_RETRY_AFTER", key: "bounce_retry_after", def: "72h",
		desc:  "an address marked failing by a verified bounce is tried again (a test send) after this long",
		apply: func(c *Config, v string) (err error) { c.BounceRetryAfter, err = positiveDuration(v); return err },
		show:  func(c *Config) string { return c.BounceRetryAfter.String() }},
}
