package main

import (
	"fmt"

	"net/netip"
	"parley/inbound/senderauth"
	"strconv"
	"strings"
)

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
	{env: "PARLEY_EMAIL_LINES_PER_MINUTE", key: "email_lines_per_minute", def: "10",
		desc: "loop breaker: lines one sender may post by email in one room per minute; beyond it, and the same text within an hour, are dropped",
		apply: func(c *Config, v string) (err error) {
			if c.EmailLinesPerMinute, err = limitSetting(v); err == nil && c.EmailLinesPerMinute == 0 {
				err = fmt.Errorf("%q: the loop breaker cannot be turned off; give a number of lines", v)
			}
			return err
		},
		show: func(c *Config) string { return strconv.Itoa(c.EmailLinesPerMinute) }},
	{env: "PARLEY_SMTP_RATE", key: "smtp_rate", def: "60",
		desc:  "messages one address may send to the SMTP door per minute (0: no limit); trusted relays are exempt",
		apply: func(c *Config, v string) (err error) { c.SMTPRate, err = limitSetting(v); return err },
		show:  func(c *Config) string { return strconv.Itoa(c.SMTPRate) }},
	{env: "PARLEY_SMTP_CONNS_PER_IP", key: "smtp_conns_per_ip", def: "10",
		desc:  "connections one address may hold open to the SMTP door (0: no limit); trusted relays are exempt",
		apply: func(c *Config, v string) (err error) { c.SMTPConnsPerIP, err = limitSetting(v); return err },
		show:  func(c *Config) string { return strconv.Itoa(c.SMTPConnsPerIP) }},
	{env: "PARLEY_SENDER_AUTH", key: "sender_auth", def: "prefer",
		desc: "require: only replies whose domain vouches for them (DKIM or SPF aligned with From, or the trusted relay's Authentication-Results) are taken; " +
			"prefer: others post marked unverified unless the domain's DMARC policy is reject or quarantine or the envelope is of another domain, " +
			"and commands (status@, AWAY, BACK, out-of-office, TRANSCRIPT) must be authenticated; off: the From address is believed",
		apply: func(c *Config, v string) (err error) { c.SenderAuth, err = senderauth.ParseMode(v); return err },
		show:  func(c *Config) string { return string(c.SenderAuth) }},
	{env: "PARLEY_AUTHSERV_ID", key: "authserv_id", def: "",
		desc:  "the authserv-id the trusted relays write in Authentication-Results (often the MX's host name): only the topmost such field, from a trusted relay or in the IMAP mailbox, is believed; empty: none is",
		apply: func(c *Config, v string) error { c.AuthServID = strings.ToLower(strings.TrimSpace(v)); return nil }},
	{env: "PARLEY_TRUSTED_RELAYS", key: "trusted_relays", def: "",
		desc:  "comma-separated IPs or CIDR prefixes of the MX hosts in front of parley: exempt from the SMTP door's per-address limits; their Authentication-Results are believed",
		apply: func(c *Config, v string) (err error) { c.TrustedRelays, err = parseRelays(v); return err },
		show: func(c *Config) string {
			out := make([]string, len(c.TrustedRelays))
			for i, p := range c.TrustedRelays {
				out[i] = p.String()
			}
			return strings.Join(out, ",")
		}},
}

// limitSetting reads a per-address limit: a whole number, 0 for none.
func limitSetting(v string) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n < 0 || n > 1_000_000 {
		return 0, fmt.Errorf("%q is not a whole number from 0 (no limit) to 1000000", v)
	}
	return n, nil
}

// parseRelays reads "192.0.2.1, 2001:db8::/32" as prefixes (an address is
// a prefix of its full length).
func parseRelays(v string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.Split(v, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		if p, err := netip.ParsePrefix(f); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(f)
		if err != nil {
			return nil, fmt.Errorf("%q is not an IP address or CIDR prefix", f)
		}
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}
