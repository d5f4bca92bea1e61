package main

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/redis/go-redis/v9"
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

// parseRedisURL parses a Redis URL for go-redis. Its errors never quote the
// URL unredacted: url.Parse's errors repeat the whole text, password included.
func parseRedisURL(raw string) (*redis.Options, error) {
	opt, err := redis.ParseURL(raw)
	if err != nil {
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err
		}
		return nil, fmt.Errorf("%s is not a Redis URL like redis://host:6379/0: %s", RedactURL(raw), redactAll(err.Error(), raw))
	}
	return opt, nil
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
