package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
)

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestConfigDefaults(t *testing.T) {
	c, err := LoadConfig("", env{}.get)
	if err != nil {
		t.Fatal(err)
	}
	want := Config{RedisURL: "", HTTPAddr: "127.0.0.1:8080", SMTPAddr: "127.0.0.1:2525", Domain: "localhost",
		PublicURL: "http://localhost:8080", KeyPrefix: "parley:", LogFormat: "text", IdleAfter: 5 * time.Minute,
		OfflineAfter: 8 * time.Hour, QueueShards: 8, BatchWindow: 2 * time.Minute, Senders: 4, SMSWindow: 20 * time.Second, SmarthostTLS: "starttls",
		MailFrom: "parley", DKIMSelector: "parley", SMSBudget: 2, SMSDailySegments: 20, SMSValidity: 4 * time.Hour, SMSRate: 1,
		IMAPAfter: "seen", MaxMessageBytes: 10 << 20, AutoReplyPeriod: 24 * time.Hour, EscalateAfter: 30 * time.Minute,
		BounceRetryAfter: 72 * time.Hour, SMTPRate: 60, SMTPConnsPerIP: 10, EmailLinesPerMinute: 10, SenderAuth: "prefer",
		StopTimeout: 8 * time.Second, RetryBackoff: 30 * time.Second, opsConfig: opsConfig{RedisWaitTimeout: time.Second},
		Files: FileSettings{FileLinkTTL: 7 * 24 * time.Hour, AttachMax: 512 << 10, MeetURL: "https://meet.jit.si/"}}
	c.from = nil
	if !reflect.DeepEqual(c, want) {
		t.Errorf("defaults:\n%+v\nwant\n%+v", c, want)
	}
	if !c.Embedded() {
		t.Error("no Redis URL should mean the embedded store")
	}
}

func TestConfigFileAndEnvironment(t *testing.T) {
	path := writeFile(t, "parley.toml", `
# parley.toml
http_addr = "0.0.0.0:9000"
smtp_addr = "0.0.0.0:2526"
key_prefix = "file:"
idle_after = "10m"
queue_shards = 4
senders = 16
`)
	e := env{"PARLEY_HTTP_ADDR": "127.0.0.1:9999", "PARLEY_OFFLINE_AFTER": "1h", "PARLEY_DOMAIN_SENDERS": "16"}
	c, err := LoadConfig(path, e.get)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, got, want, from string
	}{
		{"PARLEY_HTTP_ADDR", c.HTTPAddr, "127.0.0.1:9999", "environment"}, // the environment wins
		{"PARLEY_SMTP_ADDR", c.SMTPAddr, "0.0.0.0:2526", "config file"},
		{"PARLEY_KEY_PREFIX", c.KeyPrefix, "file:", "config file"},
		{"PARLEY_IDLE_AFTER", c.IdleAfter.String(), "10m0s", "config file"},
		{"PARLEY_OFFLINE_AFTER", c.OfflineAfter.String(), "1h0m0s", "environment"},
		{"PARLEY_QUEUE_SHARDS", strconv.Itoa(c.QueueShards), "4", "config file"},
		{"PARLEY_SENDERS", strconv.Itoa(c.Senders), "16", "config file"},
		{"PARLEY_DOMAIN_SENDERS", strconv.Itoa(c.DomainSenders), "16", "environment"},
		{"PARLEY_DOMAIN", c.Domain, "localhost", "default"},
	} {
		if tc.got != tc.want || c.Source(tc.name) != tc.from {
			t.Errorf("%s = %q from %s, want %q from %s", tc.name, tc.got, c.Source(tc.name), tc.want, tc.from)
		}
	}
}

// TestLogFormat: PARLEY_LOG_FORMAT=json writes one JSON object a line.
func TestLogFormat(t *testing.T) {
	var buf strings.Builder
	newLogger(Config{LogFormat: "json"}, &buf).Info("store ready", "prefix", "parley:")
	var rec map[string]any
	if err := json.Unmarshal([]byte(buf.String()), &rec); err != nil || rec["msg"] != "store ready" || rec["prefix"] != "parley:" {
		t.Fatalf("json log %q: %v", buf.String(), err)
	}
	buf.Reset()
	newLogger(Config{LogFormat: "text"}, &buf).Info("store ready")
	if !strings.Contains(buf.String(), "msg=\"store ready\"") {
		t.Fatalf("text log %q", buf.String())
	}
}

func TestConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		file string
		env  env
		want string
	}{
		{"unknown key", `redis_ur = "redis://x"`, nil, `unknown key "redis_ur"`},
		{"wrong type", `idle_after = true`, nil, "idle_after: want a string or a number"},
		{"bad TOML", `http_addr = `, nil, "line 1"},
		{"bad value in file", `queue_shards = 0`, nil, `queue_shards: "0" is not a number from 1 to 1024`},
		{"no senders", ``, env{"PARLEY_SENDERS": "0"}, `PARLEY_SENDERS: "0" is not a number from 1 to 256`},
		{"bad domain senders", ``, env{"PARLEY_DOMAIN_SENDERS": "-1"}, `PARLEY_DOMAIN_SENDERS: "-1" is not a number from 0 to 256`},
		{"bad address", ``, env{"PARLEY_HTTP_ADDR": "8080"}, `PARLEY_HTTP_ADDR: "8080" is not host:port`},
		{"bad public URL", ``, env{"PARLEY_PUBLIC_URL": "localhost"}, "PARLEY_PUBLIC_URL"},
		{"offline before idle", ``, env{"PARLEY_IDLE_AFTER": "2h", "PARLEY_OFFLINE_AFTER": "1h"}, "shorter than PARLEY_IDLE_AFTER"},
		{"missing secret file", ``, env{"PARLEY_SECRET_FILE": "/nonexistent/secret"}, "PARLEY_SECRET_FILE"},
		{"bad log format", ``, env{"PARLEY_LOG_FORMAT": "xml"}, `PARLEY_LOG_FORMAT: "xml" is not text or json`},
		{"bad cluster URL", ``, env{"PARLEY_REDIS_URL": "redis+cluster://a:1,,b:2"}, `"" is not host:port`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := writeFile(t, "parley.toml", tc.file)
			_, err := LoadConfig(path, tc.env.get)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one holding %q", err, tc.want)
			}
		})
	}
}

func TestSecretFile(t *testing.T) {
	path := writeFile(t, "secret", "0123456789abcdef0123456789abcdef\n")
	c, err := LoadConfig("", env{"PARLEY_SECRET_FILE": path}.get)
	if err != nil {
		t.Fatal(err)
	}
	if c.Secret != "0123456789abcdef0123456789abcdef" || c.checkSecret() != nil {
		t.Errorf("secret from file: %q", c.Secret)
	}
	c, err = LoadConfig("", env{"PARLEY_SECRET_FILE": path, "PARLEY_SECRET": "from-the-environment"}.get)
	if err != nil {
		t.Fatal(err)
	}
	if c.Secret != "from-the-environment" {
		t.Errorf("PARLEY_SECRET should win over the file, got %q", c.Secret)
	}
	if c.checkSecret() == nil {
		t.Error("a 20-byte secret was accepted")
	}
}

// TestConfigFileEndToEnd runs a command whose Redis comes from the file.
func TestConfigFileEndToEnd(t *testing.T) {
	t.Parallel()
	e := redisEnv(t)
	path := writeFile(t, "parley.toml", "redis_url = \""+e["PARLEY_REDIS_URL"]+"\"\nkey_prefix = \""+e["PARLEY_KEY_PREFIX"]+"\"\n")
	ok(t, env{}, "--config", path, "user", "add", "--id", "bob", "--name", "Bob")
	if out := ok(t, e, "user", "list"); !strings.Contains(out, "\nbob ") {
		t.Errorf("the user added through the config file is not in the Redis of the environment:\n%s", out)
	}
	// The environment wins: another prefix sees no users.
	if out := ok(t, env{"PARLEY_KEY_PREFIX": e["PARLEY_KEY_PREFIX"] + "other:"}, "--config", path, "user", "list", "--json"); out != "[]\n" {
		t.Errorf("PARLEY_KEY_PREFIX did not override the file: %s", out)
	}
}

func TestHelp(t *testing.T) {
	const secret = "s3cr3t-s3cr3t-s3cr3t-s3cr3t-s3cr3t"
	e := env{"PARLEY_SECRET": secret, "PARLEY_REDIS_URL": "redis://admin:pa55word@db.example:6380/1",
		"PARLEY_HTTP_ADDR": "127.0.0.1:9090"}
	for _, args := range [][]string{{"help"}, {"-h"}, {"--help"}} {
		r := parley(t, e, args...)
		if r.code != 0 || r.err != "" {
			t.Fatalf("parley %s: exit %d, stderr %q", args[0], r.code, r.err)
		}
		for _, s := range settings {
			if !strings.Contains(r.out, "\n  "+s.env+" ") || !strings.Contains(r.out, " "+s.key+" ") {
				t.Errorf("help does not list %s (%s)", s.env, s.key)
			}
		}
		for _, leaked := range []string{secret, "pa55word"} {
			if strings.Contains(r.out, leaked) {
				t.Errorf("help shows a secret value %q", leaked)
			}
		}
		for _, want := range []string{
			"(set)\n      key for reply-address tokens",
			"set: redis://admin:***@db.example:6380/1 (environment)",
			"set: 127.0.0.1:9090 (environment)",
			"default 127.0.0.1:2525",
			"PARLEY_SECRET_FILE",
			"TWILIO_AUTH_TOKEN",
			"PARLEY_SMARTHOST_PASSWORD",
			"parley room create --id ID",
		} {
			if !strings.Contains(r.out, want) {
				t.Errorf("help does not hold %q", want)
			}
		}
	}

	r := parley(t, e)
	if r.code != 2 || r.out != "" || !strings.Contains(r.err, "Usage: parley") {
		t.Errorf("no arguments: exit %d, stdout %q, want help on stderr and exit 2", r.code, r.out)
	}
	r = parley(t, e, "room", "create", "-h")
	if r.code != 0 || !strings.HasPrefix(r.out, "Usage: parley room create --id ID") {
		t.Errorf("room create -h: exit %d, stdout %q", r.code, r.out)
	}
}

func TestRedactURL(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"redis://127.0.0.1:6379", "redis://127.0.0.1:6379"},
		{"redis://user:pass@host:6379/0", "redis://user:***@host:6379/0"},
		{"rediss://:pass@host", "rediss://:***@host"},
		{"redis://user@host", "redis://user@host"},
		{"redis://u:p@ss:w@rd@host", "redis://u:***@host"},
		{"redis://u:pa ss@ho st", "redis://u:***@ho st"},
		{"u:pass@host:6379", "u:***@host:6379"},
		{"unix://u:pass@/tmp/redis.sock", "unix://u:***@/tmp/redis.sock"},
	} {
		if got := RedactURL(tc.in); got != tc.want {
			t.Errorf("RedactURL(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	_, err := parseRedisURL("redis://u:pa ss@ho st:1")
	if err == nil || strings.Contains(err.Error(), "pa ss") {
		t.Errorf("parse error %v must exist and hide the password", err)
	}
}

func TestParseFlagsInterspersed(t *testing.T) {
	fs := newFlags("x")
	j := fs.Bool("json", false, "")
	n := fs.String("name", "", "")
	pos, err := parseFlags(fs, []string{"design", "--json", "--name", "N", "more", "--", "--not-a-flag"})
	if err != nil {
		t.Fatal(err)
	}
	if !*j || *n != "N" || strings.Join(pos, "|") != "design|more|--not-a-flag" {
		t.Errorf("json %v, name %q, positional %q", *j, *n, pos)
	}
}
