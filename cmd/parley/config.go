package main

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/BurntSushi/toml"

	"parley/inbound/senderauth"
)

// Config is parley's configuration, read from the environment and an
// optional TOML file (the environment wins).
type Config struct {
	// RedisURL is the shared Redis; empty means the embedded, in-memory store.
	RedisURL string
	// HTTPAddr and SMTPAddr are where the servers listen (host:port).
	HTTPAddr, SMTPAddr string
	// Domain is the mail domain of parley's own addresses.
	Domain string
	// PublicURL is how people reach the web page.
	PublicURL string
	// Secret keys HMACs; read from SecretFile when not set directly.
	Secret, SecretFile string
	// KeyPrefix starts every Redis key.
	KeyPrefix string
	// LogFormat is "text" (logfmt-like, the default) or "json", for log
	// shippers.
	LogFormat string
	// IdleAfter and OfflineAfter turn a silent member away, then offline.
	IdleAfter, OfflineAfter time.Duration
	// QueueShards is the number of delivery queue streams.
	QueueShards int

	// Delivery: the batching window and the templates folder.
	BatchWindow  time.Duration
	SMSWindow    time.Duration
	TemplatesDir string
	// Senders is how many batches go out at once (and the connections to
	// the smarthost); DomainSenders how many of them may go to one email
	// domain (0: half).
	Senders, DomainSenders int
	// Email: the smarthost (empty: the outbox), its login and TLS mode, the
	// envelope sender, and optional DKIM signing.
	Smarthost, SmarthostUser, SmarthostPassword, SmarthostTLS string
	MailFrom                                                  string
	DKIMKeyFile, DKIMSelector                                 string
	// SMS: Twilio credentials (empty: the outbox), the sender (a messaging
	// service, one number or a pool), the API's base URL and the segment
	// budget of one text.
	TwilioAccountSID, TwilioAuthToken, TwilioMessagingService string
	SMSFrom                                                   string
	SMSNumbers                                                []string
	TwilioAPIURL                                              string
	SMSBudget                                                 int
	// SMS limits: a member's daily segments, how long Twilio may hold a
	// text before dropping it, and each sending number's pace.
	SMSDailySegments int
	SMSValidity      time.Duration
	SMSRate          float64

	// Inbound email: the IMAP mailbox to poll (empty: none), what to do
	// with folded messages, the size limit, the attachment folder, and
	// whether mismatched senders are held instead of refused.
	IMAPURL, IMAPAfter string
	MaxMessageBytes    int64
	BlobDir            string
	HoldMismatched     bool
	// TLSCertFile and TLSKeyFile, when both set, let the SMTP server offer STARTTLS.
	TLSCertFile, TLSKeyFile string

	// AutoReplyPeriod: an away auto-reply goes to one sender at most once in it.
	AutoReplyPeriod time.Duration
	// EscalateAfter: an unseen, unanswered line that needs a member goes
	// out again on their next channel after it (negative: never).
	EscalateAfter time.Duration

	// SecretPrevious is the secret before the last rotation (tokens made
	// under it still verify); BounceRetryAfter is when a failing address is
	// tried again.
	SecretPrevious   string
	BounceRetryAfter time.Duration
	// The SMTP door's per-address limits, and the relays exempt from them.
	SMTPRate, SMTPConnsPerIP int
	// EmailLinesPerMinute is the loop breaker's rate per sender and room.
	EmailLinesPerMinute int
	TrustedRelays       []netip.Prefix
	// SenderAuth is what an unauthenticated reply may still do
	// (PARLEY_SENDER_AUTH); AuthServID the authserv-id of the trusted
	// relays' Authentication-Results (PARLEY_AUTHSERV_ID).
	SenderAuth senderauth.Mode
	AuthServID string
	// Instance names this process among those sharing the Redis, the same
	// across its restarts (empty: the host name and the listening ports).
	Instance string
	// StopTimeout bounds a stop after SIGTERM: the doors, then the sends
	// in flight, which are handed back if they take longer.
	StopTimeout time.Duration
	// RetryBackoff is the wait before the first retry of a failed send.
	RetryBackoff time.Duration
	// Crypto are the encryption settings (issue 19, config_crypto.go).
	Crypto CryptoConfig
	// The production knobs of config_ops.go.
	opsConfig

	// Files: file links, attachments and meetings (config_files.go).
	Files FileSettings

	// from says where each variable's value came from, by variable name:
	// "environment" or "config file"; absent means the default.
	from map[string]string
}

// minSecret is the shortest secret serve accepts: it keys HMACs.
const minSecret = 32

// setting is one configuration variable. The table of settings is the only
// place a variable is named: loading and `parley help` both read it.
type setting struct {
	env    string // environment variable
	key    string // key in the TOML file
	def    string // default, as text
	desc   string // what it is, for help
	secret bool   // never printed; help says only whether it is set
	apply  func(c *Config, v string) error
	// show returns the value as help prints it (non-secrets only).
	show func(c *Config) string
}

// settings is the table of every variable parley reads.
var settings = slices.Concat(coreSettings, deliverySettings, inboundSettings, awaySettings, trustSettings, retrySettings, cryptoSettings, opsSettings, filesSettings)

// coreSettings configure the store and the servers.
var coreSettings = []setting{
	{env: "PARLEY_REDIS_URL", key: "redis_url", def: "",
		desc: "Redis to use: redis://[user:password@]host:port[/db] (rediss:// for TLS), a Redis Cluster redis+cluster://[user:password@]host:port[,host:port...], " +
			"or a Sentinel group redis+sentinel://[user:password@]host:port[,host:port...]/MASTER[/db] (the password is the master's); go-redis query options such as ?dial_timeout=3s apply to all; " +
			"empty: an in-memory store (serve and demo only)",
		apply: func(c *Config, v string) error {
			if v != "" {
				if _, err := parseRedisURL(v); err != nil {
					return err
				}
			}
			c.RedisURL = v
			return nil
		},
		show: func(c *Config) string { return RedactURL(c.RedisURL) }},
	{env: "PARLEY_HTTP_ADDR", key: "http_addr", def: "127.0.0.1:8080",
		desc:  "address the web server listens on",
		apply: func(c *Config, v string) error { c.HTTPAddr = v; return checkHostPort(v) },
		show:  func(c *Config) string { return c.HTTPAddr }},
	{env: "PARLEY_SMTP_ADDR", key: "smtp_addr", def: "127.0.0.1:2525",
		desc:  "address the SMTP server listens on",
		apply: func(c *Config, v string) error { c.SMTPAddr = v; return checkHostPort(v) },
		show:  func(c *Config) string { return c.SMTPAddr }},
	{env: "PARLEY_DOMAIN", key: "domain", def: "localhost",
		desc: "mail domain of parley's own addresses (reply addresses, Message-IDs)",
		apply: func(c *Config, v string) error {
			if v == "" || strings.ContainsAny(v, " @/") {
				return fmt.Errorf("%q is not a domain name", v)
			}
			c.Domain = v
			return nil
		},
		show: func(c *Config) string { return c.Domain }},
	{env: "PARLEY_PUBLIC_URL", key: "public_url", def: "http://localhost:8080",
		desc: "URL people use to reach the web page (in emails, texts and sign-in links; https makes session cookies Secure)",
		apply: func(c *Config, v string) error {
			u, err := url.Parse(v)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				return fmt.Errorf("%q is not an http or https URL", v)
			}
			c.PublicURL = v
			return nil
		},
		show: func(c *Config) string { return c.PublicURL }},
	{env: "PARLEY_SECRET", key: "secret", def: "", secret: true,
		desc:  fmt.Sprintf("key for reply-address tokens and sessions, at least %d bytes; required by serve with a shared Redis", minSecret),
		apply: func(c *Config, v string) error { c.Secret = v; return nil }},
	{env: "PARLEY_SECRET_FILE", key: "secret_file", def: "",
		desc:  "file holding the secret, used when PARLEY_SECRET is not set",
		apply: func(c *Config, v string) error { c.SecretFile = v; return nil },
		show:  func(c *Config) string { return c.SecretFile }},
	{env: "PARLEY_KEY_PREFIX", key: "key_prefix", def: "parley:",
		desc: "prefix of every Redis key, so deployments can share a Redis",
		apply: func(c *Config, v string) error {
			if v == "" || strings.ContainsAny(v, " \t\r\n{}") {
				return fmt.Errorf("%q must be non-empty, without spaces or braces", v)
			}
			c.KeyPrefix = v
			return nil
		},
		show: func(c *Config) string { return c.KeyPrefix }},
	{env: "PARLEY_LOG_FORMAT", key: "log_format", def: "text",
		desc: "log format on stderr: text, or json (one object a line, for log shippers)",
		apply: func(c *Config, v string) error {
			if v != "text" && v != "json" {
				return fmt.Errorf("%q is not text or json", v)
			}
			c.LogFormat = v
			return nil
		},
		show: func(c *Config) string { return c.LogFormat }},
	{env: "PARLEY_IDLE_AFTER", key: "idle_after", def: "5m",
		desc:  "a member without a heartbeat for this long is away",
		apply: func(c *Config, v string) (err error) { c.IdleAfter, err = positiveDuration(v); return err },
		show:  func(c *Config) string { return c.IdleAfter.String() }},
	{env: "PARLEY_OFFLINE_AFTER", key: "offline_after", def: "8h",
		desc:  "a member without a heartbeat for this long is offline",
		apply: func(c *Config, v string) (err error) { c.OfflineAfter, err = positiveDuration(v); return err },
		show:  func(c *Config) string { return c.OfflineAfter.String() }},
	{env: "PARLEY_QUEUE_SHARDS", key: "queue_shards", def: "8",
		desc:  "number of delivery queue streams; never change it while jobs are queued",
		apply: func(c *Config, v string) (err error) { c.QueueShards, err = numberIn(v, 1, 1024); return err },
		show:  func(c *Config) string { return strconv.Itoa(c.QueueShards) }},
}

// maxSenders bounds PARLEY_SENDERS and PARLEY_DOMAIN_SENDERS.
const maxSenders = 256

// deliverySettings configure the delivery worker, email and SMS.
var deliverySettings = []setting{
	{env: "PARLEY_BATCH_WINDOW", key: "batch_window", def: "2m",
		desc: "lines for one member and room within this window go out as one email (0: at once)",
		apply: func(c *Config, v string) error {
			d, err := time.ParseDuration(v)
			if err != nil || d < 0 {
				return fmt.Errorf("%q is not a duration like 2m or 0s", v)
			}
			c.BatchWindow = d
			return nil
		},
		show: func(c *Config) string { return c.BatchWindow.String() }},
	{env: "PARLEY_SMS_WINDOW", key: "sms_window", def: "20s",
		desc: "lines for one member and room within this window go out as one text where they fit (0: each line at once)",
		apply: func(c *Config, v string) error {
			d, err := time.ParseDuration(v)
			if err != nil || d < 0 {
				return fmt.Errorf("%q is not a duration like 20s or 0s", v)
			}
			c.SMSWindow = d
			return nil
		},
		show: func(c *Config) string { return c.SMSWindow.String() }},
	{env: "PARLEY_SENDERS", key: "senders", def: "4",
		desc:  "batches sent at once, and connections kept to the smarthost (1 to 256)",
		apply: func(c *Config, v string) (err error) { c.Senders, err = numberIn(v, 1, maxSenders); return err },
		show:  func(c *Config) string { return strconv.Itoa(c.Senders) }},
	{env: "PARLEY_DOMAIN_SENDERS", key: "domain_senders", def: "0",
		desc:  "of the senders, the most that send to one email domain at once, so that a slow domain leaves the others to everyone else (0: half the senders; a company whose members share one domain may give it all)",
		apply: func(c *Config, v string) (err error) { c.DomainSenders, err = numberIn(v, 0, maxSenders); return err },
		show:  func(c *Config) string { return strconv.Itoa(c.DomainSenders) }},
	{env: "PARLEY_INSTANCE", key: "instance", def: "",
		desc: "this process's name in the delivery queue, the same across its restarts, so that it takes back its own work at once (empty: the host name and the listening ports)",
		apply: func(c *Config, v string) error {
			if strings.ContainsAny(v, " \t\r\n") {
				return fmt.Errorf("%q contains white space", v)
			}
			c.Instance = v
			return nil
		},
		show: func(c *Config) string { return c.Instance }},
	{env: "PARLEY_STOP_TIMEOUT", key: "stop_timeout", def: "8s",
		desc: "how long serve takes at most to stop after SIGTERM; sends still in flight then are handed back to the queue (keep the container's stop grace period above it)",
		apply: func(c *Config, v string) error {
			d, err := time.ParseDuration(v)
			if err != nil || d < time.Second {
				return fmt.Errorf("%q is not a duration of at least 1s, like 8s", v)
			}
			c.StopTimeout = d
			return nil
		},
		show: func(c *Config) string { return c.StopTimeout.String() }},
	{env: "PARLEY_TEMPLATES_DIR", key: "templates_dir", def: "",
		desc:  "folder of template files that replace the built-in texts of emails and texts",
		apply: func(c *Config, v string) error { c.TemplatesDir = v; return nil },
		show:  func(c *Config) string { return c.TemplatesDir }},
	{env: "PARLEY_SMARTHOST", key: "smarthost", def: "",
		desc: "SMTP server (host:port) that sends parley's email; empty: keep emails in the outbox (parley outbox)",
		apply: func(c *Config, v string) error {
			c.Smarthost = v
			if v == "" {
				return nil
			}
			return checkHostPort(v)
		},
		show: func(c *Config) string { return c.Smarthost }},
	{env: "PARLEY_SMARTHOST_USER", key: "smarthost_user", def: "",
		desc:  "login name at the smarthost (AUTH PLAIN, only over TLS or to loopback)",
		apply: func(c *Config, v string) error { c.SmarthostUser = v; return nil },
		show:  func(c *Config) string { return c.SmarthostUser }},
	{env: "PARLEY_SMARTHOST_PASSWORD", key: "smarthost_password", def: "", secret: true,
		desc:  "password at the smarthost",
		apply: func(c *Config, v string) error { c.SmarthostPassword = v; return nil }},
	{env: "PARLEY_SMARTHOST_TLS", key: "smarthost_tls", def: "starttls",
		desc: "starttls, tls (implicit, port 465) or none",
		apply: func(c *Config, v string) error {
			switch v {
			case "starttls", "tls", "none":
				c.SmarthostTLS = v
				return nil
			}
			return fmt.Errorf("%q is not starttls, tls or none", v)
		},
		show: func(c *Config) string { return c.SmarthostTLS }},
	{env: "PARLEY_MAIL_FROM", key: "mail_from", def: "parley",
		desc: "local part of parley's sender address (LOCAL@PARLEY_DOMAIN)",
		apply: func(c *Config, v string) error {
			if v == "" || strings.ContainsAny(v, " @<>\"") {
				return fmt.Errorf("%q is not a local part like parley", v)
			}
			c.MailFrom = v
			return nil
		},
		show: func(c *Config) string { return c.MailFrom }},
	{env: "PARLEY_DKIM_KEY_FILE", key: "dkim_key_file", def: "",
		desc:  "PEM private key (RSA or Ed25519) to DKIM-sign email; empty: no signature",
		apply: func(c *Config, v string) error { c.DKIMKeyFile = v; return nil },
		show:  func(c *Config) string { return c.DKIMKeyFile }},
	{env: "PARLEY_DKIM_SELECTOR", key: "dkim_selector", def: "parley",
		desc:  "DKIM selector published in DNS at SELECTOR._domainkey.PARLEY_DOMAIN",
		apply: func(c *Config, v string) error { c.DKIMSelector = v; return nil },
		show:  func(c *Config) string { return c.DKIMSelector }},
	{env: "TWILIO_ACCOUNT_SID", key: "twilio_account_sid", def: "",
		desc:  "Twilio account; empty: keep texts in the outbox (parley outbox)",
		apply: func(c *Config, v string) error { c.TwilioAccountSID = v; return nil },
		show:  func(c *Config) string { return c.TwilioAccountSID }},
	{env: "TWILIO_AUTH_TOKEN", key: "twilio_auth_token", def: "", secret: true,
		desc:  "Twilio auth token (sends texts, checks webhook signatures)",
		apply: func(c *Config, v string) error { c.TwilioAuthToken = v; return nil }},
	{env: "TWILIO_MESSAGING_SERVICE_SID", key: "twilio_messaging_service_sid", def: "",
		desc:  "Twilio messaging service to send from (instead of PARLEY_SMS_FROM)",
		apply: func(c *Config, v string) error { c.TwilioMessagingService = v; return nil },
		show:  func(c *Config) string { return c.TwilioMessagingService }},
	{env: "PARLEY_SMS_FROM", key: "sms_from", def: "",
		desc:  "the one number texts come from (E.164)",
		apply: func(c *Config, v string) error { c.SMSFrom = v; return nil },
		show:  func(c *Config) string { return c.SMSFrom }},
	{env: "PARLEY_SMS_NUMBERS", key: "sms_numbers", def: "",
		desc: "a pool of numbers texts come from, comma-separated E.164",
		apply: func(c *Config, v string) error {
			c.SMSNumbers = nil
			for _, n := range strings.Split(v, ",") {
				if n = strings.TrimSpace(n); n != "" {
					c.SMSNumbers = append(c.SMSNumbers, n)
				}
			}
			return nil
		},
		show: func(c *Config) string { return strings.Join(c.SMSNumbers, ",") }},
	{env: "PARLEY_TWILIO_API_URL", key: "twilio_api_url", def: "",
		desc:  "Twilio API base URL override (a local test server or a proxy)",
		apply: func(c *Config, v string) error { c.TwilioAPIURL = v; return nil },
		show:  func(c *Config) string { return c.TwilioAPIURL }},
	{env: "PARLEY_SMS_BUDGET", key: "sms_budget", def: "2",
		desc:  "most segments one text may use; longer lines are cut with a link to the room",
		apply: func(c *Config, v string) (err error) { c.SMSBudget, err = numberIn(v, 1, 10); return err },
		show:  func(c *Config) string { return strconv.Itoa(c.SMSBudget) }},
	{env: "PARLEY_SMS_DAILY_SEGMENTS", key: "sms_daily_segments", def: "20",
		desc:  "most segments one member is texted a day; past it their lines go by email (or wait for the digest)",
		apply: func(c *Config, v string) (err error) { c.SMSDailySegments, err = numberIn(v, 1, 10000); return err },
		show:  func(c *Config) string { return strconv.Itoa(c.SMSDailySegments) }},
	{env: "PARLEY_SMS_VALIDITY", key: "sms_validity", def: "4h",
		desc: "a text Twilio could not hand over within this time is dropped as stale (1s to 10h)",
		apply: func(c *Config, v string) error {
			d, err := time.ParseDuration(v)
			if err != nil || d < time.Second || d > 10*time.Hour || d%time.Second != 0 {
				return fmt.Errorf("%q is not whole seconds from 1s to 10h, like 4h", v)
			}
			c.SMSValidity = d
			return nil
		},
		show: func(c *Config) string { return c.SMSValidity.String() }},
	{env: "PARLEY_SMS_RATE", key: "sms_rate", def: "1",
		desc: "segments a second each sending number may send (1 for a long code; a short code or toll-free number allows more)",
		apply: func(c *Config, v string) error {
			r, err := strconv.ParseFloat(v, 64)
			if err != nil || r < 0.01 || r > 1000 {
				return fmt.Errorf("%q is not a rate from 0.01 to 1000", v)
			}
			c.SMSRate = r
			return nil
		},
		show: func(c *Config) string { return strconv.FormatFloat(c.SMSRate, 'g', -1, 64) }},
}

// inboundSettings configure the doors that take mail in.
var inboundSettings = []setting{
	{env: "PARLEY_IMAP_URL", key: "imap_url", def: "", secret: true,
		desc: "mailbox to read replies from, imaps://user:password@host:993/INBOX (imap:// uses STARTTLS); empty: no polling",
		apply: func(c *Config, v string) error {
			if v != "" {
				if u, err := url.Parse(v); err != nil || (u.Scheme != "imap" && u.Scheme != "imaps") || u.Host == "" {
					return fmt.Errorf("not an imaps:// or imap:// URL")
				}
			}
			c.IMAPURL = v
			return nil
		}},
	{env: "PARLEY_IMAP_AFTER", key: "imap_after", def: "seen",
		desc:  "what happens to a folded message: seen, move:FOLDER or delete",
		apply: func(c *Config, v string) error { c.IMAPAfter = v; return nil },
		show:  func(c *Config) string { return c.IMAPAfter }},
	{env: "PARLEY_MAX_MESSAGE_BYTES", key: "max_message_bytes", def: "10485760",
		desc: "largest email accepted by the SMTP server and the IMAP poller",
		apply: func(c *Config, v string) error {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < 1024 || n > 100<<20 {
				return fmt.Errorf("%q is not a size from 1024 to 104857600 bytes", v)
			}
			c.MaxMessageBytes = n
			return nil
		},
		show: func(c *Config) string { return strconv.FormatInt(c.MaxMessageBytes, 10) }},
	{env: "PARLEY_TLS_CERT_FILE", key: "tls_cert_file", def: "",
		desc:  "PEM certificate chain; with PARLEY_TLS_KEY_FILE the SMTP server offers STARTTLS",
		apply: func(c *Config, v string) error { c.TLSCertFile = v; return nil },
		show:  func(c *Config) string { return c.TLSCertFile }},
	{env: "PARLEY_TLS_KEY_FILE", key: "tls_key_file", def: "",
		desc:  "PEM private key of PARLEY_TLS_CERT_FILE",
		apply: func(c *Config, v string) error { c.TLSKeyFile = v; return nil },
		show:  func(c *Config) string { return c.TLSKeyFile }},
	{env: "PARLEY_BLOB_DIR", key: "blob_dir", def: "",
		desc:  "folder for files members send (attachments); empty: files are refused",
		apply: func(c *Config, v string) error { c.BlobDir = v; return nil },
		show:  func(c *Config) string { return c.BlobDir }},
	{env: "PARLEY_HOLD_MISMATCHED", key: "hold_mismatched", def: "false",
		desc: "a reply whose sender is not the member is held for review (true) or refused (false)",
		apply: func(c *Config, v string) (err error) {
			c.HoldMismatched, err = strconv.ParseBool(v)
			if err != nil {
				return fmt.Errorf("%q is not true or false", v)
			}
			return nil
		},
		show: func(c *Config) string { return strconv.FormatBool(c.HoldMismatched) }},
}

// Where a value came from.
const (
	fromEnv  = "environment"
	fromFile = "config file"
)

// LoadConfig reads the configuration: defaults, then the TOML file at path
// (when path is not empty), then the environment through getenv. An empty
// environment variable counts as unset. Errors name the variable or key.
func LoadConfig(path string, getenv func(string) string) (Config, error) {
	c := Config{from: map[string]string{}}
	for _, s := range settings {
		if err := s.apply(&c, s.def); err != nil {
			return c, fmt.Errorf("default of %s: %w", s.env, err) // a bug in the table
		}
	}
	if path != "" {
		file, err := readConfigFile(path)
		if err != nil {
			return c, err
		}
		for _, s := range settings {
			if v, ok := file[s.key]; ok {
				if err := s.apply(&c, v); err != nil {
					return c, fmt.Errorf("config %s: %s: %w", path, s.key, err)
				}
				c.from[s.env] = fromFile
			}
		}
	}
	for _, s := range settings {
		if v := getenv(s.env); v != "" {
			if err := s.apply(&c, v); err != nil {
				return c, fmt.Errorf("%s: %w", s.env, err)
			}
			c.from[s.env] = fromEnv
		}
	}
	if c.OfflineAfter < c.IdleAfter {
		return c, fmt.Errorf("PARLEY_OFFLINE_AFTER (%s) is shorter than PARLEY_IDLE_AFTER (%s)", c.OfflineAfter, c.IdleAfter)
	}
	if c.Secret == "" && c.SecretFile != "" {
		b, err := os.ReadFile(c.SecretFile)
		if err != nil {
			return c, fmt.Errorf("PARLEY_SECRET_FILE: %w", err)
		}
		c.Secret = strings.TrimRight(string(b), "\r\n")
		if c.Secret == "" {
			return c, fmt.Errorf("PARLEY_SECRET_FILE: %s is empty", c.SecretFile)
		}
	}
	if err := c.Crypto.loadDataKeyFile(); err != nil {
		return c, err
	}
	return c, nil
}

// readConfigFile reads a flat TOML file into key -> value text. Unknown
// keys are refused, so that a typo does not silently fall back to a default.
func readConfigFile(path string) (map[string]string, error) {
	var raw map[string]any
	if _, err := toml.DecodeFile(path, &raw); err != nil {
		var perr toml.ParseError
		if errors.As(err, &perr) {
			return nil, fmt.Errorf("config %s: line %d: %s", path, perr.Position.Line, perr.Message)
		}
		return nil, fmt.Errorf("config %s: %w", path, err)
	}
	known := map[string]bool{}
	for _, s := range settings {
		known[s.key] = true
	}
	out := map[string]string{}
	keys := make([]string, 0, len(raw))
	for k := range raw {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if !known[k] {
			return nil, fmt.Errorf("config %s: unknown key %q", path, k)
		}
		switch v := raw[k].(type) {
		case string:
			out[k] = v
		case int64:
			out[k] = strconv.FormatInt(v, 10)
		default:
			return nil, fmt.Errorf("config %s: %s: want a string or a number, not %T", path, k, v)
		}
	}
	return out, nil
}

// Source says where the variable's value came from: "environment",
// "config file" or "default".
func (c Config) Source(env string) string {
	if f, ok := c.from[env]; ok {
		return f
	}
	return "default"
}

// Embedded reports whether parley keeps its data in an in-process store.
func (c Config) Embedded() bool { return c.RedisURL == "" }

// checkSecret checks that the secret is long enough to key HMACs.
func (c Config) checkSecret() error {
	if len(c.Secret) < minSecret {
		return fmt.Errorf("PARLEY_SECRET is %d bytes; it must be at least %d (for example: openssl rand -hex 32)", len(c.Secret), minSecret)
	}
	return nil
}

func checkHostPort(v string) error {
	if _, _, err := net.SplitHostPort(v); err != nil {
		return fmt.Errorf("%q is not host:port", v)
	}
	return nil
}

// numberIn reads a whole number from lo to hi.
func numberIn(v string, lo, hi int) (int, error) {
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		return 0, fmt.Errorf("%q is not a number from %d to %d", v, lo, hi)
	}
	return n, nil
}

func positiveDuration(v string) (time.Duration, error) {
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%q is not a positive duration like 5m or 8h", v)
	}
	return d, nil
}
