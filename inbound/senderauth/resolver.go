package senderauth

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"sync"
	"time"

	"parley/internal/recent"
)

// Resolver answers the DNS questions sender authentication asks. A name
// that does not exist, or has no record of the kind asked, is an empty
// answer and a nil error; an error means the answer could not be had now
// (a time-out, a server failure): the check is then temporary.
type Resolver interface {
	// LookupTXT returns the TXT records of name, each record's strings
	// joined.
	LookupTXT(ctx context.Context, name string) ([]string, error)
	// LookupIP returns the A and AAAA addresses of name.
	LookupIP(ctx context.Context, name string) ([]netip.Addr, error)
	// LookupMX returns the exchange host names of name's MX records.
	LookupMX(ctx context.Context, name string) ([]string, error)
}

// NetResolver asks the system's DNS resolver, each lookup within Timeout,
// and remembers answers (and missing names) for CacheFor.
//
// Names reserved for documentation and testing (RFC 2606, RFC 6761:
// .test, .example, .invalid, .localhost and example.com/.net/.org) are
// never asked about: they have no records. No real mail comes from them,
// and tests and the demo, which use them, so never reach the network.
type NetResolver struct {
	// Timeout bounds one lookup (5 s when 0).
	Timeout time.Duration
	// CacheFor is how long an answer is reused (5 minutes when 0).
	CacheFor time.Duration
	// Net is the resolver asked (net.DefaultResolver when nil).
	Net *net.Resolver

	once sync.Once
	txt  recent.Cache[[]string]
	ip   recent.Cache[[]netip.Addr]
	mx   recent.Cache[[]string]
}

var _ Resolver = (*NetResolver)(nil)

// reserved reports whether name is under a name reserved for
// documentation and tests.
func reserved(name string) bool {
	name = strings.ToLower(strings.TrimSuffix(name, "."))
	for _, r := range []string{"test", "example", "invalid", "localhost", "example.com", "example.net", "example.org"} {
		if name == r || strings.HasSuffix(name, "."+r) {
			return true
		}
	}
	return false
}

func (r *NetResolver) resolver() *net.Resolver {
	if r.Net != nil {
		return r.Net
	}
	return net.DefaultResolver
}

func (r *NetResolver) ttl() time.Duration {
	if r.CacheFor > 0 {
		return r.CacheFor
	}
	return 5 * time.Minute
}

// lookup runs one cached lookup with the time-out; a missing name is an
// empty answer.
func lookup[V any](ctx context.Context, r *NetResolver, c *recent.Cache[[]V], kind, name string, ask func(context.Context, string) ([]V, error)) ([]V, error) {
	name = strings.ToLower(strings.TrimSuffix(name, "."))
	if reserved(name) || name == "" {
		return nil, nil
	}
	now := time.Now()
	r.once.Do(func() { r.txt.TTL, r.ip.TTL, r.mx.TTL = r.ttl(), r.ttl(), r.ttl() })
	if v, ok := c.Get(name, now); ok {
		return v, nil
	}
	timeout := r.Timeout
	if timeout <= 0 {
		timeout = 5 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	v, err := ask(ctx, name+".")
	var de *net.DNSError
	if errors.As(err, &de) && de.IsNotFound {
		v, err = nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("%s lookup of %s: %w", kind, name, err)
	}
	c.Put(name, v, now)
	return v, nil
}

// LookupTXT implements Resolver.
func (r *NetResolver) LookupTXT(ctx context.Context, name string) ([]string, error) {
	return lookup(ctx, r, &r.txt, "TXT", name, r.resolver().LookupTXT)
}

// LookupIP implements Resolver.
func (r *NetResolver) LookupIP(ctx context.Context, name string) ([]netip.Addr, error) {
	return lookup(ctx, r, &r.ip, "A/AAAA", name, func(ctx context.Context, n string) ([]netip.Addr, error) {
		return r.resolver().LookupNetIP(ctx, "ip", n)
	})
}

// LookupMX implements Resolver.
func (r *NetResolver) LookupMX(ctx context.Context, name string) ([]string, error) {
	return lookup(ctx, r, &r.mx, "MX", name, func(ctx context.Context, n string) ([]string, error) {
		mxs, err := r.resolver().LookupMX(ctx, n)
		hosts := make([]string, 0, len(mxs))
		for _, m := range mxs {
			hosts = append(hosts, strings.TrimSuffix(m.Host, "."))
		}
		return hosts, err
	})
}
