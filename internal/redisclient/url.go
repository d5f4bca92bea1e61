package redisclient

import (
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Target is where parley's store lives: one server, a Redis Cluster or a
// Sentinel group, as a PARLEY_REDIS_URL names it.
type Target struct {
	// Kind is "server", "cluster" or "sentinel".
	Kind     string
	server   *redis.Options
	cluster  *redis.ClusterOptions
	sentinel *redis.FailoverOptions
}

// ParseURL reads a Redis URL:
//
//	redis://[user:pass@]host:port[/DB][?OPTIONS]          one server (rediss:// for TLS)
//	redis+cluster://[user:pass@]host:port[,host:port...][?OPTIONS]
//	                                                      a Redis Cluster, any of its nodes
//	redis+sentinel://[user:pass@]host:port[,host:port...]/MASTER[/DB][?OPTIONS]
//	                                                      the master MASTER of a Sentinel group;
//	                                                      user and password are the master's
//
// rediss+cluster:// and rediss+sentinel:// use TLS. OPTIONS are go-redis's
// query options (dial_timeout=3s, pool_size=20, ...). Errors name what is
// wrong without quoting the password.
func ParseURL(raw string) (Target, error) {
	scheme, rest, ok := strings.Cut(raw, "://")
	if !ok {
		return Target{}, fmt.Errorf("no scheme (redis://, redis+cluster:// or redis+sentinel://)")
	}
	base, topology, _ := strings.Cut(scheme, "+")
	if base != "redis" && base != "rediss" {
		return Target{}, fmt.Errorf("unknown scheme %q (redis://, rediss://, redis+cluster:// or redis+sentinel://)", scheme)
	}
	switch topology {
	case "":
		o, err := redis.ParseURL(raw)
		if err != nil {
			return Target{}, plain(err)
		}
		return Target{Kind: "server", server: o}, nil
	case "cluster":
		u, hosts, err := split(base, rest)
		if err != nil {
			return Target{}, err
		}
		if u.Path != "" && u.Path != "/" {
			return Target{}, fmt.Errorf("a cluster has no database number or path (got %q)", u.Path)
		}
		addExtraHosts(u, hosts[1:])
		o, err := redis.ParseClusterURL(u.String())
		if err != nil {
			return Target{}, plain(err)
		}
		return Target{Kind: "cluster", cluster: o}, nil
	case "sentinel":
		u, hosts, err := split(base, rest)
		if err != nil {
			return Target{}, err
		}
		parts := strings.FieldsFunc(u.Path, func(r rune) bool { return r == '/' })
		if len(parts) == 0 || len(parts) > 2 {
			return Target{}, fmt.Errorf("a sentinel URL names the master after the hosts: redis+sentinel://host:26379/MASTER[/DB]")
		}
		user := u.User
		u.User = nil // the userinfo is the master's, not the sentinels'
		q := u.Query()
		q.Set("master_name", parts[0])
		u.RawQuery = q.Encode()
		u.Path = ""
		if len(parts) == 2 {
			u.Path = "/" + parts[1]
		}
		addExtraHosts(u, hosts[1:])
		o, err := redis.ParseFailoverURL(u.String())
		if err != nil {
			return Target{}, plain(err)
		}
		if user != nil {
			o.Username = user.Username()
			o.Password, _ = user.Password()
		}
		return Target{Kind: "sentinel", sentinel: o}, nil
	default:
		return Target{}, fmt.Errorf("unknown topology %q in %q (cluster or sentinel)", topology, scheme)
	}
}

// split parses rest (what follows "scheme://") as a URL with base as its
// scheme and the first of its comma-separated hosts; it returns the hosts.
func split(base, rest string) (*url.URL, []string, error) {
	end := strings.IndexAny(rest, "/?")
	if end < 0 {
		end = len(rest)
	}
	authority, tail := rest[:end], rest[end:]
	userinfo, hostlist := "", authority
	if at := strings.LastIndex(authority, "@"); at >= 0 {
		userinfo, hostlist = authority[:at+1], authority[at+1:]
	}
	hosts := strings.Split(hostlist, ",")
	for _, h := range hosts {
		if h == "" || !strings.Contains(h, ":") {
			return nil, nil, fmt.Errorf("%q is not host:port", h)
		}
	}
	u, err := url.Parse(base + "://" + userinfo + hosts[0] + tail)
	if err != nil {
		return nil, nil, plain(err)
	}
	return u, hosts, nil
}

// addExtraHosts adds hosts as go-redis's addr query options.
func addExtraHosts(u *url.URL, hosts []string) {
	q := u.Query()
	for _, h := range hosts {
		q.Add("addr", h)
	}
	u.RawQuery = q.Encode()
}

// plain drops url.Error's quoting of the whole URL (it holds the password).
func plain(err error) error {
	if ue, ok := err.(*url.Error); ok {
		return ue.Err
	}
	return err
}

// clusterReload is how often a cluster client reads the slot map again
// (CLUSTER SLOTS, lazily, on the next command after it passed): how long
// parley may keep asking a master that died after its replica took over.
const clusterReload = time.Second

// Client returns a client for t with parley's settings (see New).
func (t Target) Client() redis.UniversalClient {
	switch t.Kind {
	case "cluster":
		o := *t.cluster
		o.Protocol = 2
		if o.ClusterStateReloadInterval == 0 {
			// go-redis learns of a failover from MOVED, which a dead
			// master never sends: commands to its slots fail until the
			// slot map is read again (every 60 s by default).
			o.ClusterStateReloadInterval = clusterReload
		}
		o.MaintNotificationsConfig = disabledNotifications()
		o.ContextTimeoutEnabled = true
		return redis.NewClusterClient(&o)
	case "sentinel":
		o := *t.sentinel
		o.Protocol = 2
		o.ContextTimeoutEnabled = true
		return redis.NewFailoverClient(&o)
	default:
		return New(t.server)
	}
}
