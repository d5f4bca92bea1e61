package main

import (
	"fmt"
	"net/url"
	"strconv"
	"time"
)

// FileSettings are the settings of files and meetings leaving parley
// (issue 16).
type FileSettings struct {
	// FileLinkTTL is how long a signed file link works; AttachMax the
	// largest file attached to a relay email (members may set less).
	FileLinkTTL time.Duration
	AttachMax   int64
	// MeetURL starts every meeting link /meet posts, before the room's
	// unguessable name.
	MeetURL string
}

// filesSettings configure file links, attachments and meetings.
var filesSettings = []setting{
	{env: "PARLEY_FILE_LINK_TTL", key: "file_link_ttl", def: "168h",
		desc:  "how long a signed file link (PUBLIC_URL/f/TOKEN/NAME) works; an expired one offers a fresh one by email",
		apply: func(c *Config, v string) (err error) { c.Files.FileLinkTTL, err = positiveDuration(v); return err },
		show:  func(c *Config) string { return c.Files.FileLinkTTL.String() }},
	{env: "PARLEY_ATTACH_MAX", key: "attach_max", def: "524288",
		desc: "largest file (bytes) attached to a relay email; larger ones go as links (members may set less; 0: links only)",
		apply: func(c *Config, v string) error {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < 0 || n > 25<<20 {
				return fmt.Errorf("%q is not a size from 0 to 26214400 bytes", v)
			}
			c.Files.AttachMax = n
			return nil
		},
		show: func(c *Config) string { return strconv.FormatInt(c.Files.AttachMax, 10) }},
	{env: "PARLEY_MEET_URL", key: "meet_url", def: "https://meet.jit.si/",
		desc: "where /meet links start; an unguessable room name is added (parley room set-meeting sets a fixed link per room)",
		apply: func(c *Config, v string) error {
			u, err := url.Parse(v)
			if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
				return fmt.Errorf("%q is not an http(s) address", v)
			}
			c.Files.MeetURL = v
			return nil
		},
		show: func(c *Config) string { return c.Files.MeetURL }},
}
