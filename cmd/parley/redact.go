package main

import (
	"fmt"
	"strings"

	"parley/internal/redisclient"
)

// RedactURL hides the password of a URL such as redis://user:pass@host,
// giving redis://user:***@host. It works on text that does not parse as a
// URL too, and errs on the side of hiding: everything between "://" and the
// last "@" that holds a colon is taken for user:password.
func RedactURL(raw string) string {
	scheme, rest, ok := strings.Cut(raw, "://")
	if !ok {
		scheme, rest = "", raw
	} else {
		scheme += "://"
	}
	at := strings.LastIndex(rest, "@")
	if at < 0 {
		return raw
	}
	user, _, hasPassword := strings.Cut(rest[:at], ":")
	if !hasPassword {
		return raw
	}
	return scheme + user + ":***@" + rest[at+1:]
}

// parseRedisURL parses PARLEY_REDIS_URL: one server, a Redis Cluster or a
// Sentinel group (redisclient.ParseURL). Its errors never quote the URL
// unredacted.
func parseRedisURL(raw string) (redisclient.Target, error) {
	t, err := redisclient.ParseURL(raw)
	if err != nil {
		return t, fmt.Errorf("%s is not a Redis URL like redis://host:6379/0, redis+cluster://host:7000,host:7001 or redis+sentinel://host:26379/MASTER: %s",
			RedactURL(raw), redactAll(err.Error(), raw))
	}
	return t, nil
}

// redactAll removes the password of raw from text, in case an error
// message quotes it.
func redactAll(text, raw string) string {
	if _, rest, ok := strings.Cut(raw, "://"); ok {
		raw = rest
	}
	if at := strings.LastIndex(raw, "@"); at >= 0 {
		if _, pass, ok := strings.Cut(raw[:at], ":"); ok && pass != "" {
			text = strings.ReplaceAll(text, pass, "***")
		}
	}
	return text
}
