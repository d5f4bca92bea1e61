package main

import (
	"fmt"
	"time"
)

// retrySettings configure how the delivery worker retries a send that
// failed for now (a 4xx, a smarthost down).
var retrySettings = []setting{
	{env: "PARLEY_RETRY_BACKOFF", key: "retry_backoff", def: "30s",
		desc: "wait before the first retry of a send that failed for now; each retry doubles it, up to an hour, the last half of each wait random",
		apply: func(c *Config, v string) error {
			d, err := time.ParseDuration(v)
			if err != nil || d < 100*time.Millisecond || d > time.Hour {
				return fmt.Errorf("%q is not a duration from 100ms to 1h, like 30s", v)
			}
			c.RetryBackoff = d
			return nil
		},
		show: func(c *Config) string { return c.RetryBackoff.String() }},
}
