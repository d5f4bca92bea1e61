package redisclient

import (
	"slices"
	"strings"
	"testing"
)

func TestParseURL(t *testing.T) {
	tests := []struct {
		url        string
		kind       string
		addrs      []string
		master     string
		db         int
		user, pass string
		tls        bool
	}{
		{url: "redis://127.0.0.1:6379/2", kind: "server", addrs: []string{"127.0.0.1:6379"}, db: 2},
		{url: "rediss://u:p@redis.example:6380", kind: "server", addrs: []string{"redis.example:6380"}, user: "u", pass: "p", tls: true},
		{url: "redis+cluster://10.0.0.1:7000,10.0.0.2:7000,10.0.0.3:7000", kind: "cluster",
			addrs: []string{"10.0.0.1:7000", "10.0.0.2:7000", "10.0.0.3:7000"}},
		{url: "rediss+cluster://app:s3cret@10.0.0.1:7000,10.0.0.2:7000?dial_timeout=2s", kind: "cluster",
			addrs: []string{"10.0.0.1:7000", "10.0.0.2:7000"}, user: "app", pass: "s3cret", tls: true},
		{url: "redis+sentinel://s1:26379,s2:26379,s3:26379/mymaster", kind: "sentinel",
			addrs: []string{"s1:26379", "s2:26379", "s3:26379"}, master: "mymaster"},
		{url: "redis+sentinel://:pw@s1:26379/mymaster/3", kind: "sentinel",
			addrs: []string{"s1:26379"}, master: "mymaster", db: 3, pass: "pw"},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			got, err := ParseURL(tt.url)
			if err != nil {
				t.Fatal(err)
			}
			if got.Kind != tt.kind {
				t.Fatalf("kind %q, want %q", got.Kind, tt.kind)
			}
			var addrs []string
			var db int
			var user, pass, master string
			var tls bool
			switch got.Kind {
			case "server":
				addrs, db, user, pass, tls = []string{got.server.Addr}, got.server.DB, got.server.Username, got.server.Password, got.server.TLSConfig != nil
			case "cluster":
				addrs, user, pass, tls = got.cluster.Addrs, got.cluster.Username, got.cluster.Password, got.cluster.TLSConfig != nil
			case "sentinel":
				o := got.sentinel
				addrs, db, user, pass, master, tls = o.SentinelAddrs, o.DB, o.Username, o.Password, o.MasterName, o.TLSConfig != nil
				if o.SentinelPassword != "" {
					t.Errorf("the master's password went to the sentinels too")
				}
			}
			if !slices.Equal(addrs, tt.addrs) || db != tt.db || user != tt.user || pass != tt.pass || master != tt.master || tls != tt.tls {
				t.Errorf("got addrs %v db %d user %q pass %q master %q tls %v", addrs, db, user, pass, master, tls)
			}
			c := got.Client()
			_ = c.Close()
		})
	}
}

func TestParseURLErrors(t *testing.T) {
	for _, raw := range []string{
		"127.0.0.1:6379",
		"http://127.0.0.1:6379",
		"redis+mesh://h:1",
		"redis+cluster://h:1,,h:2",
		"redis+cluster://h:1/2",
		"redis+sentinel://s:26379",
		"redis+sentinel://s:26379/m/1/x",
		"redis+cluster://user:topsecret@h:1,nohost",
		"redis+cluster://h:1?bogus_option=1",
	} {
		t.Run(raw, func(t *testing.T) {
			_, err := ParseURL(raw)
			if err == nil {
				t.Fatal("accepted")
			}
			if strings.Contains(err.Error(), "topsecret") {
				t.Errorf("error quotes the password: %v", err)
			}
		})
	}
}

func FuzzParseURL(f *testing.F) {
	for _, s := range []string{"redis://h:1/0", "redis+cluster://a:1,b:2?pool_size=3", "redis+sentinel://:p@s:1/m/2"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		tgt, err := ParseURL(raw)
		if err == nil && tgt.Kind == "" {
			t.Fatal("no kind without an error")
		}
	})
}
