package imappoll

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
)

// account is what PARLEY_IMAP_URL says.
type account struct {
	scheme   string // "imap" or "imaps"
	host     string // without port or brackets
	addr     string // host:port
	user     string
	password string
	mailbox  string
	loopback bool
	// display names the account and mailbox without the password, as
	// user@host:port/mailbox; it keys the saved state and tags log lines.
	display string
}

const urlShape = "imaps://user:password@host:993/INBOX or imap://user:password@host:143/INBOX"

// parseURL reads PARLEY_IMAP_URL. Its errors never contain the password.
func parseURL(raw string) (account, error) {
	var a account
	if raw == "" {
		return a, errors.New("imappoll: no IMAP URL (PARLEY_IMAP_URL), want " + urlShape)
	}
	u, err := url.Parse(raw)
	if err != nil {
		// url.Error repeats the whole URL and its inner error may quote
		// part of the password: say only what the URL should look like.
		return a, fmt.Errorf("imappoll: PARLEY_IMAP_URL %s is not a valid URL, want %s (percent-encode special characters in the user and password)",
			redactRawURL(raw), urlShape)
	}
	shown := u.Redacted()
	a.scheme = strings.ToLower(u.Scheme)
	var port string
	switch a.scheme {
	case "imaps":
		port = "993"
	case "imap":
		port = "143"
	default:
		return a, fmt.Errorf("imappoll: PARLEY_IMAP_URL %s: scheme %q, want imaps or imap", shown, u.Scheme)
	}
	if u.Opaque != "" || u.Host == "" {
		return a, fmt.Errorf("imappoll: PARLEY_IMAP_URL %s has no host, want %s", shown, urlShape)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return a, fmt.Errorf("imappoll: PARLEY_IMAP_URL %s: query and fragment are not supported", shown)
	}
	a.host = u.Hostname()
	if a.host == "" {
		return a, fmt.Errorf("imappoll: PARLEY_IMAP_URL %s has no host", shown)
	}
	if p := u.Port(); p != "" {
		port = p
	}
	a.addr = net.JoinHostPort(a.host, port)
	if u.User == nil || u.User.Username() == "" {
		return a, fmt.Errorf("imappoll: PARLEY_IMAP_URL %s has no user, want %s", shown, urlShape)
	}
	a.user = u.User.Username()
	pw, ok := u.User.Password()
	if !ok || pw == "" {
		return a, fmt.Errorf("imappoll: PARLEY_IMAP_URL %s has no password, want %s", shown, urlShape)
	}
	a.password = pw
	a.mailbox = strings.Trim(u.Path, "/")
	if a.mailbox == "" {
		a.mailbox = "INBOX"
	}
	a.loopback = isLoopback(a.host)
	a.display = a.user + "@" + a.addr + "/" + a.mailbox
	return a, nil
}

// isLoopback tells whether host is this machine: plain text is allowed
// there, as nobody else can read the connection.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// redactRawURL hides the password of a URL that url.Parse refused: all
// between the first ':' after the scheme and the last '@' (a stray '@' in
// the path hides more, never less).
func redactRawURL(raw string) string {
	start := 0
	if i := strings.Index(raw, "://"); i >= 0 {
		start = i + 3
	}
	at := strings.LastIndex(raw, "@")
	if at < start {
		return raw
	}
	colon := strings.Index(raw[start:at], ":")
	if colon < 0 {
		return raw
	}
	return raw[:start+colon+1] + "xxxxx" + raw[at:]
}

// redact removes the password from a text, in clear and percent-encoded.
func (a account) redact(s string) string {
	if a.password == "" {
		return s
	}
	s = strings.ReplaceAll(s, a.password, "xxxxx")
	if esc := url.QueryEscape(a.password); esc != a.password {
		s = strings.ReplaceAll(s, esc, "xxxxx")
	}
	if esc := url.PathEscape(a.password); esc != a.password {
		s = strings.ReplaceAll(s, esc, "xxxxx")
	}
	return s
}

// afterAction is what becomes of a message once it is folded in.
type afterAction struct {
	kind   string // "seen", "move" or "delete"
	folder string // for "move"
}

// parseAfter reads Options.After.
func parseAfter(s string) (afterAction, error) {
	switch {
	case s == "" || s == "seen":
		return afterAction{kind: "seen"}, nil
	case s == "delete":
		return afterAction{kind: "delete"}, nil
	case strings.HasPrefix(s, "move:"):
		folder := strings.TrimPrefix(s, "move:")
		if strings.TrimSpace(folder) == "" {
			return afterAction{}, errors.New(`imappoll: After "move:" names no folder, want "move:Folder"`)
		}
		return afterAction{kind: "move", folder: folder}, nil
	}
	return afterAction{}, fmt.Errorf(`imappoll: After %q, want "seen", "move:Folder" or "delete"`, s)
}
