package main

import (
	"fmt"
	"net"
	"strconv"
	"time"
)

// opsSettings configure running parley in production: replica
// acknowledgement of writes and the metrics listener (docs/deploy.md).
var opsSettings = []setting{
	{env: "PARLEY_REDIS_WAIT", key: "redis_wait", def: "0",
		desc: "replicas that must have a line before a door acknowledges it (Redis WAIT), for masters on appendfsync everysec with replicas; " +
			"0 (the default) waits for none; not with the embedded store",
		apply: func(c *Config, v string) error {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 || n > 16 {
				return fmt.Errorf("%q is not a number of replicas from 0 to 16", v)
			}
			c.RedisWait = n
			return nil
		},
		show: func(c *Config) string { return strconv.Itoa(c.RedisWait) }},
	{env: "PARLEY_REDIS_WAIT_TIMEOUT", key: "redis_wait_timeout", def: "1s",
		desc:  "how long a door waits for PARLEY_REDIS_WAIT replicas; past it the door answers \"try again\" (the line is kept, a retry is not stored twice)",
		apply: func(c *Config, v string) (err error) { c.RedisWaitTimeout, err = positiveDuration(v); return err },
		show:  func(c *Config) string { return c.RedisWaitTimeout.String() }},
	{env: "PARLEY_METRICS_ADDR", key: "metrics_addr", def: "",
		desc: "address of /metrics (Prometheus) and /readyz when they should not be on PARLEY_HTTP_ADDR (empty: on the HTTP address)",
		apply: func(c *Config, v string) error {
			if v != "" {
				if _, _, err := net.SplitHostPort(v); err != nil {
					return fmt.Errorf("%q is not host:port: %w", v, err)
				}
			}
			c.MetricsAddr = v
			return nil
		},
		show: func(c *Config) string { return c.MetricsAddr }},
}

// opsConfig is the part of Config that opsSettings fill.
type opsConfig struct {
	// RedisWait is the replicas a post waits for (0: none), RedisWaitTimeout how long.
	RedisWait        int
	RedisWaitTimeout time.Duration
	// MetricsAddr serves /metrics and /readyz apart from the HTTP address.
	MetricsAddr string
}
