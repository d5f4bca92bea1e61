package senderauth

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// SPF (RFC 7208): does the domain of the envelope sender let the client's
// address send its mail? The mechanisms all, include, a, mx, ptr, ip4,
// ip6 and exists, the redirect modifier and macros are understood; at most
// 10 mechanisms that ask DNS are followed per check (section 4.6.4), and
// at most 2 of them may find nothing.

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

// Limits of one check (RFC 7208 section 4.6.4).
const (
	maxDNSMechanisms = 10
	maxVoidLookups   = 2
	maxMXNames       = 10
	maxRecordBytes   = 4096
)

// errPerm and errTemp end a check with permerror and temperror.
var (
	errPerm = errors.New("spf permerror")
	errTemp = errors.New("spf temperror")
)

// Term is one term of an SPF record: a directive (a qualifier and a
// mechanism with its argument) or a modifier (Name=Arg).
type Term struct {
	// Qualifier is '+', '-', '~' or '?' for a directive; 0 for a modifier.
	Qualifier byte
	// Name is the mechanism ("ip4") or modifier ("redirect") name, in
	// lower case.
	Name string
	// Arg is what follows ':' (a mechanism) or '=' (a modifier); for a and
	// mx it is the domain, without the prefix lengths.
	Arg string
	// Prefix4 and Prefix6 are the prefix lengths of ip4, ip6, a and mx
	// (32 and 128 when not given).
	Prefix4, Prefix6 int
}

// ParseSPF reads an SPF record ("v=spf1 ..."). It returns an error for
// anything RFC 7208 calls a syntax error, which the check reports as
// permerror.
func ParseSPF(record string) ([]Term, error) {
	if len(record) > maxRecordBytes {
		return nil, fmt.Errorf("record of %d bytes is too long", len(record))
	}
	fields := strings.Fields(record)
	if len(fields) == 0 || !strings.EqualFold(fields[0], "v=spf1") {
		return nil, errors.New("not an SPF record")
	}
	var terms []Term
	seen := map[string]bool{}
	for _, f := range fields[1:] {
		t, err := parseTerm(f)
		if err != nil {
			return nil, err
		}
		if t.Qualifier == 0 && (t.Name == "redirect" || t.Name == "exp") {
			if seen[t.Name] {
				return nil, fmt.Errorf("%s given twice", t.Name)
			}
			seen[t.Name] = true
		}
		terms = append(terms, t)
	}
	return terms, nil
}

// parseTerm reads one term.
func parseTerm(f string) (Term, error) {
	if i := strings.IndexAny(f, "=:/"); i > 0 && f[i] == '=' {
		name := strings.ToLower(f[:i])
		if !validName(name) {
			return Term{}, fmt.Errorf("bad modifier %q", f)
		}
		return Term{Name: name, Arg: f[i+1:]}, nil
	}
	t := Term{Qualifier: '+', Prefix4: 32, Prefix6: 128}
	if strings.ContainsRune("+-~?", rune(f[0])) {
		t.Qualifier, f = f[0], f[1:]
	}
	name, arg, hasArg := f, "", false
	if i := strings.IndexAny(f, ":/"); i >= 0 {
		name, arg, hasArg = f[:i], f[i:], true
		if f[i] == ':' {
			arg = arg[1:]
		}
	}
	t.Name = strings.ToLower(name)
	switch t.Name {
	case "all":
		if hasArg {
			return Term{}, fmt.Errorf("all takes no argument: %q", f)
		}
	case "include", "exists":
		if arg == "" {
			return Term{}, fmt.Errorf("%s needs a domain: %q", t.Name, f)
		}
		t.Arg = arg
	case "ptr":
		t.Arg = arg
	case "a", "mx":
		var err error
		if t.Arg, t.Prefix4, t.Prefix6, err = cutPrefixes(arg); err != nil {
			return Term{}, fmt.Errorf("%q: %w", f, err)
		}
	case "ip4", "ip6":
		p, err := parseNetwork(arg, t.Name == "ip6")
		if err != nil {
			return Term{}, fmt.Errorf("%q: %w", f, err)
		}
		t.Arg = p.String()
	default:
		return Term{}, fmt.Errorf("unknown mechanism %q", f)
	}
	return t, nil
}

// validName: ALPHA *( ALPHA / DIGIT / "-" / "_" / "." ).
func validName(s string) bool {
	for i, r := range s {
		alpha := r >= 'a' && r <= 'z'
		if !alpha && (i == 0 || !(r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.')) {
			return false
		}
	}
	return s != ""
}

// cutPrefixes splits "domain/24//64" into the domain and its prefix lengths.
func cutPrefixes(arg string) (string, int, int, error) {
	p4, p6 := 32, 128
	before, six, dual := strings.Cut(arg, "//")
	if dual {
		n, err := prefixLen(six, 128)
		if err != nil {
			return "", 0, 0, err
		}
		p6 = n
	}
	domain, four, has4 := strings.Cut(before, "/")
	if has4 {
		n, err := prefixLen(four, 32)
		if err != nil {
			return "", 0, 0, err
		}
		p4 = n
	}
	return domain, p4, p6, nil
}

func prefixLen(s string, max int) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || n > max || (len(s) > 1 && s[0] == '0') {
		return 0, fmt.Errorf("bad prefix length %q", s)
	}
	return n, nil
}

// parseNetwork reads an ip4 or ip6 argument: an address, with or without
// a prefix length.
func parseNetwork(arg string, v6 bool) (netip.Prefix, error) {
	addr, plen, hasLen := strings.Cut(arg, "/")
	a, err := netip.ParseAddr(addr)
	if err != nil || a.Is6() != v6 || a.Zone() != "" {
		return netip.Prefix{}, fmt.Errorf("bad address %q", addr)
	}
	bits := a.BitLen()
	if hasLen {
		if bits, err = prefixLen(plen, a.BitLen()); err != nil {
			return netip.Prefix{}, err
		}
	}
	return netip.PrefixFrom(a, bits).Masked(), nil
}

// spfCheck is one check_host evaluation with its shared budget.
type spfCheck struct {
	r      Resolver
	ip     netip.Addr
	sender string // local@domain of the envelope (postmaster@helo when empty)
	helo   string
	dns    int // mechanisms and modifiers that asked DNS
	void   int // of those, lookups that found nothing
}

// CheckSPF evaluates the SPF record of domain for a message from ip with
// envelope sender sender (its domain is usually domain) and greeting helo.
func CheckSPF(ctx context.Context, r Resolver, ip netip.Addr, domain, sender, helo string) SPFResult {
	c := &spfCheck{r: r, ip: ip.Unmap(), sender: sender, helo: helo}
	res, err := c.checkHost(ctx, strings.ToLower(domain), 0)
	switch {
	case errors.Is(err, errTemp):
		return SPFTempError
	case err != nil:
		return SPFPermError
	}
	return res
}

// checkHost is RFC 7208's check_host() for one domain; depth counts
// include and redirect.
func (c *spfCheck) checkHost(ctx context.Context, domain string, depth int) (SPFResult, error) {
	if depth > maxDNSMechanisms || !validDomain(domain) {
		return SPFNone, errPerm
	}
	txts, err := c.r.LookupTXT(ctx, domain)
	if err != nil {
		return SPFNone, fmt.Errorf("%w: %v", errTemp, err)
	}
	var record string
	n := 0
	for _, t := range txts {
		if f := strings.Fields(t); len(f) > 0 && strings.EqualFold(f[0], "v=spf1") {
			record, n = t, n+1
		}
	}
	switch n {
	case 0:
		return SPFNone, nil
	case 1:
	default:
		return SPFNone, fmt.Errorf("%w: %d SPF records at %s", errPerm, n, domain)
	}
	terms, err := ParseSPF(record)
	if err != nil {
		return SPFNone, fmt.Errorf("%w: %v", errPerm, err)
	}
	redirect := ""
	for _, t := range terms {
		if t.Qualifier == 0 {
			if t.Name == "redirect" {
				redirect = t.Arg
			}
			continue
		}
		match, err := c.matches(ctx, t, domain, depth)
		if err != nil {
			return SPFNone, err
		}
		if match {
			return map[byte]SPFResult{'+': SPFPass, '-': SPFFail, '~': SPFSoftFail, '?': SPFNeutral}[t.Qualifier], nil
		}
	}
	if redirect == "" {
		return SPFNeutral, nil
	}
	if err := c.countDNS(); err != nil {
		return SPFNone, err
	}
	target, err := c.expand(redirect, domain)
	if err != nil {
		return SPFNone, err
	}
	res, err := c.checkHost(ctx, target, depth+1)
	if err == nil && res == SPFNone {
		return SPFNone, fmt.Errorf("%w: redirect to %s finds no record", errPerm, target)
	}
	return res, err
}

func (c *spfCheck) countDNS() error {
	c.dns++
	if c.dns > maxDNSMechanisms {
		return fmt.Errorf("%w: more than %d DNS lookups", errPerm, maxDNSMechanisms)
	}
	return nil
}

func (c *spfCheck) countVoid(n int) error {
	if n == 0 {
		c.void++
		if c.void > maxVoidLookups {
			return fmt.Errorf("%w: more than %d lookups found nothing", errPerm, maxVoidLookups)
		}
	}
	return nil
}

// matches evaluates one mechanism.
func (c *spfCheck) matches(ctx context.Context, t Term, domain string, depth int) (bool, error) {
	switch t.Name {
	case "all":
		return true, nil
	case "ip4", "ip6":
		p, err := netip.ParsePrefix(t.Arg)
		return err == nil && p.Contains(c.ip), nil
	}
	if err := c.countDNS(); err != nil {
		return false, err
	}
	target := domain
	if t.Arg != "" {
		var err error
		if target, err = c.expand(t.Arg, domain); err != nil {
			return false, err
		}
	}
	switch t.Name {
	case "include":
		res, err := c.checkHost(ctx, target, depth+1)
		switch {
		case errors.Is(err, errTemp):
			return false, err
		case err != nil || res == SPFNone:
			return false, fmt.Errorf("%w: include:%s: %v", errPerm, target, res)
		}
		return res == SPFPass, nil
	case "a":
		return c.addrMatch(ctx, target, t)
	case "mx":
		hosts, err := c.r.LookupMX(ctx, target)
		if err != nil {
			return false, fmt.Errorf("%w: %v", errTemp, err)
		}
		if err := c.countVoid(len(hosts)); err != nil {
			return false, err
		}
		if len(hosts) > maxMXNames {
			return false, fmt.Errorf("%w: %s has more than %d MX names", errPerm, target, maxMXNames)
		}
		for _, h := range hosts {
			if ok, err := c.addrMatch(ctx, h, t); ok || err != nil {
				return ok, err
			}
		}
		return false, nil
	case "exists":
		ips, err := c.r.LookupIP(ctx, target)
		if err != nil {
			return false, fmt.Errorf("%w: %v", errTemp, err)
		}
		return len(ips) > 0, c.countVoid(len(ips))
	}
	// ptr: deprecated (RFC 7208 section 5.5) and needing a reverse lookup;
	// it never matches here, as a receiver that does not support it would.
	return false, nil
}

// addrMatch reports whether the client's address is in host's A/AAAA
// records, widened to the term's prefix lengths.
func (c *spfCheck) addrMatch(ctx context.Context, host string, t Term) (bool, error) {
	ips, err := c.r.LookupIP(ctx, host)
	if err != nil {
		return false, fmt.Errorf("%w: %v", errTemp, err)
	}
	if err := c.countVoid(len(ips)); err != nil {
		return false, err
	}
	for _, a := range ips {
		a = a.Unmap()
		bits := t.Prefix4
		if a.Is6() {
			bits = t.Prefix6
		}
		if a.Is4() != c.ip.Is4() {
			continue
		}
		if p, err := a.Prefix(bits); err == nil && p.Contains(c.ip) {
			return true, nil
		}
	}
	return false, nil
}

// validDomain: a name of at most 253 bytes with labels of 1 to 63.
func validDomain(d string) bool {
	d = strings.TrimSuffix(d, ".")
	if d == "" || len(d) > 253 {
		return false
	}
	for _, l := range strings.Split(d, ".") {
		if l == "" || len(l) > 63 {
			return false
		}
	}
	return true
}

// expand expands the macros of a domain-spec (RFC 7208 section 7):
// %{s} %{l} %{o} %{d} %{i} %{p} %{v} %{h}, each with an optional count
// of labels to keep, r to reverse them and delimiters; %% %_ %-.
func (c *spfCheck) expand(spec, domain string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(spec); i++ {
		if spec[i] != '%' {
			b.WriteByte(spec[i])
			continue
		}
		if i+1 >= len(spec) {
			return "", fmt.Errorf("%w: %% at the end of %q", errPerm, spec)
		}
		i++
		switch spec[i] {
		case '%':
			b.WriteByte('%')
			continue
		case '_':
			b.WriteByte(' ')
			continue
		case '-':
			b.WriteString("%20")
			continue
		case '{':
		default:
			return "", fmt.Errorf("%w: bad macro in %q", errPerm, spec)
		}
		end := strings.IndexByte(spec[i:], '}')
		if end < 2 {
			return "", fmt.Errorf("%w: bad macro in %q", errPerm, spec)
		}
		v, err := c.macro(spec[i+1:i+end], domain)
		if err != nil {
			return "", err
		}
		b.WriteString(v)
		i += end
	}
	out := strings.TrimSuffix(b.String(), ".")
	for len(out) > 253 { // section 7.3: drop labels from the left
		_, rest, ok := strings.Cut(out, ".")
		if !ok {
			return "", fmt.Errorf("%w: expanded name too long", errPerm)
		}
		out = rest
	}
	return strings.ToLower(out), nil
}

// macro expands the inside of one %{...}.
func (c *spfCheck) macro(m, domain string) (string, error) {
	letter := m[0] | 0x20
	rest := m[1:]
	local, senderDomain := "postmaster", c.helo
	if l, d, ok := strings.Cut(c.sender, "@"); ok && d != "" {
		if l != "" {
			local = l
		}
		senderDomain = d
	}
	var v string
	switch letter {
	case 's':
		v = local + "@" + senderDomain
	case 'l':
		v = local
	case 'o':
		v = senderDomain
	case 'd':
		v = domain
	case 'h':
		v = c.helo
	case 'v':
		v = "in-addr"
		if c.ip.Is6() {
			v = "ip6"
		}
	case 'p':
		v = "unknown"
	case 'i':
		if c.ip.Is4() {
			v = c.ip.String()
		} else {
			b := c.ip.As16()
			nib := make([]string, 0, 32)
			for _, x := range b {
				nib = append(nib, strconv.FormatUint(uint64(x>>4), 16), strconv.FormatUint(uint64(x&15), 16))
			}
			v = strings.Join(nib, ".")
		}
	default:
		return "", fmt.Errorf("%w: unknown macro letter %q", errPerm, m[0])
	}
	digits := 0
	for digits < len(rest) && rest[digits] >= '0' && rest[digits] <= '9' {
		digits++
	}
	keep := 0
	if digits > 0 {
		n, err := strconv.Atoi(rest[:digits])
		if err != nil || n == 0 || n > 128 {
			return "", fmt.Errorf("%w: bad macro count %q", errPerm, rest[:digits])
		}
		keep = n
	}
	rest = rest[digits:]
	reverse := false
	if rest != "" && (rest[0]|0x20) == 'r' {
		reverse, rest = true, rest[1:]
	}
	delims := "."
	if rest != "" {
		if strings.Trim(rest, ".-+,/_=") != "" {
			return "", fmt.Errorf("%w: bad macro delimiters %q", errPerm, rest)
		}
		delims = rest
	}
	parts := strings.FieldsFunc(v, func(r rune) bool { return strings.ContainsRune(delims, r) })
	if reverse {
		for i, j := 0, len(parts)-1; i < j; i, j = i+1, j-1 {
			parts[i], parts[j] = parts[j], parts[i]
		}
	}
	if keep > 0 && keep < len(parts) {
		parts = parts[len(parts)-keep:]
	}
	return strings.Join(parts, "."), nil
}
