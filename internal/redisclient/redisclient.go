// Package redisclient makes the Redis client parley talks to its store
// with, so that the binary, the tests and the benchmarks all use the same
// settings.
package redisclient

import (
	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"
)

// New returns a client for opt with parley's settings:
//   - RESP2 (Protocol 2): parley uses no RESP3 feature, and under RESP3
//     go-redis looks for push notifications before every reply it reads,
//     which costs a few microseconds per command on the posting path;
//   - context deadlines are honoured (ContextTimeoutEnabled): a health
//     check that allows 2 s answers within 2 s, not after go-redis's own
//     read timeout;
//   - no maintenance notifications: parley reads none, and turning them off
//     keeps go-redis from logging about them on servers that lack them.
//
// Pub/Sub works the same on either protocol. opt is not modified.
func New(opt *redis.Options) *redis.Client {
	o := *opt
	o.Protocol = 2
	o.MaintNotificationsConfig = disabledNotifications()
	o.ContextTimeoutEnabled = true
	return redis.NewClient(&o)
}

func disabledNotifications() *maintnotifications.Config {
	return &maintnotifications.Config{Mode: maintnotifications.ModeDisabled}
}
