package senderauth

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"strings"

	"blitiri.com.ar/go/spf"
)

// SPF (RFC 7208): does the domain of the envelope sender let the client's
// address send its mail? blitiri.com.ar/go/spf evaluates the record (every
// mechanism, modifier and macro; at most 10 terms that ask DNS and 2 that
// find nothing, section 4.6.4); it asks DNS through our Resolver, so the
// time-out, the cache and the test resolvers apply (spfResolver).

// SPFResult is the outcome of an SPF check.
type SPFResult string

// SPF results (RFC 7208 section 2.6).
const (
	SPFNone      SPFResult = "none"
	SPFNeutral   SPFResult = "neutral"
	SPFPass      SPFResult = "pass"
	SPFFail      SPFResult = "fail"
	SPFSoftFail  SPFResult = "softfail"
	SPFTempError SPFResult = "temperror"
	SPFPermError SPFResult = "permerror"
)

// maxDomainBytes is the longest domain name (RFC 7208 section 4.3 and
// 7.3, RFC 1035).
const maxDomainBytes = 253

// CheckSPF evaluates the SPF record of domain for a message from ip with
// envelope sender sender (its domain is domain; with none, the greeting
// helo is the domain) and greeting helo. A malformed or single-label
// domain is SPFNone without a lookup (section 4.3); a sender without a
// local part is postmaster (section 4.3), which macros see.
func CheckSPF(ctx context.Context, r Resolver, ip netip.Addr, domain, sender, helo string) SPFResult {
	domain = strings.ToLower(strings.TrimSuffix(domain, "."))
	if !validDomain(domain) {
		return SPFNone
	}
	local := "postmaster"
	if i := strings.LastIndexByte(sender, '@'); i > 0 {
		local = sender[:i]
	}
	// The library takes the domain from the sender, after its first '@':
	// a local part holding one (quoted) would move the check to another
	// domain. Such a local part is kept for the macros, escaped.
	local = strings.ReplaceAll(local, "@", "%40")
	res, _ := spf.CheckHostWithSender(net.IP(ip.Unmap().AsSlice()), helo, local+"@"+domain,
		spf.WithContext(ctx), spf.WithResolver(spfResolver{r}))
	switch out := SPFResult(res); out {
	case SPFNone, SPFNeutral, SPFPass, SPFFail, SPFSoftFail, SPFTempError, SPFPermError:
		return out
	}
	return SPFPermError // a result RFC 7208 does not name
}

// validDomain: a name of at most 253 bytes, of at least two labels of 1 to 63.
func validDomain(d string) bool {
	if d == "" || len(d) > maxDomainBytes {
		return false
	}
	labels := strings.Split(d, ".")
	for _, l := range labels {
		if l == "" || len(l) > 63 {
			return false
		}
	}
	return len(labels) >= 2
}

// spfResolver lets the SPF library ask our Resolver. Our Resolver answers
// a missing name with nothing and a nil error, and reports only what may
// pass (a time-out) as an error; the library tells those apart by
// *net.DNSError, so every error becomes a temporary one (temperror).
// Names longer than 253 bytes, which macros can make, lose labels from
// the left until they fit (section 7.3), which the library leaves undone.
type spfResolver struct{ r Resolver }

var _ spf.DNSResolver = spfResolver{}

// errNoReverse: parley makes no reverse lookups, so ptr (deprecated,
// section 5.5) never matches, as for a receiver that does not support it.
var errNoReverse = errors.New("parley makes no reverse lookups for SPF")

// fit shortens a name to 253 bytes by dropping labels from the left.
func fit(name string) string {
	name = strings.TrimSuffix(name, ".")
	for len(name) > maxDomainBytes {
		_, rest, ok := strings.Cut(name, ".")
		if !ok {
			return name[len(name)-maxDomainBytes:]
		}
		name = rest
	}
	return name
}

// temporary wraps an error of our Resolver for the library.
func temporary(name string, err error) error {
	if err == nil {
		return nil
	}
	return &net.DNSError{Err: err.Error(), Name: name, IsTemporary: true,
		IsTimeout: errors.Is(err, context.DeadlineExceeded)}
}

// LookupTXT implements spf.DNSResolver.
func (s spfResolver) LookupTXT(ctx context.Context, name string) ([]string, error) {
	name = fit(name)
	txt, err := s.r.LookupTXT(ctx, name)
	return txt, temporary(name, err)
}

// LookupMX implements spf.DNSResolver.
func (s spfResolver) LookupMX(ctx context.Context, name string) ([]*net.MX, error) {
	name = fit(name)
	hosts, err := s.r.LookupMX(ctx, name)
	if err != nil {
		return nil, temporary(name, err)
	}
	mxs := make([]*net.MX, len(hosts))
	for i, h := range hosts {
		mxs[i] = &net.MX{Host: h}
	}
	return mxs, nil
}

// LookupIPAddr implements spf.DNSResolver.
func (s spfResolver) LookupIPAddr(ctx context.Context, name string) ([]net.IPAddr, error) {
	name = fit(name)
	ips, err := s.r.LookupIP(ctx, name)
	if err != nil {
		return nil, temporary(name, err)
	}
	out := make([]net.IPAddr, len(ips))
	for i, a := range ips {
		out[i] = net.IPAddr{IP: net.IP(a.Unmap().AsSlice())}
	}
	return out, nil
}

// LookupAddr implements spf.DNSResolver: ptr is not supported
// (errNoReverse, which the library takes as no match, counting no void
// lookup).
func (s spfResolver) LookupAddr(context.Context, string) ([]string, error) {
	return nil, errNoReverse
}
