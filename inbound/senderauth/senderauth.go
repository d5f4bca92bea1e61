// Package senderauth decides whether the domain of a message's From
// address vouches for it (DMARC's idea, RFC 7489): a DKIM signature of an
// aligned domain that verifies, or an SPF pass for an aligned envelope
// sender, or the Authentication-Results of the trusted relay in front of
// parley saying so. It knows nothing of members or rooms: the receiver
// asks, and decides by Mode what to do with the answer.
package senderauth

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/mail"
	"net/netip"
	"strings"
	"time"

	"github.com/emersion/go-msgauth/dkim"
	"github.com/emersion/go-msgauth/dmarc"
	"golang.org/x/net/publicsuffix"
)

// Mode is how much a reply must prove (PARLEY_SENDER_AUTH).
type Mode string

// Modes.
const (
	// Off believes the From address, as parley did before.
	Off Mode = "off"
	// Prefer posts authenticated mail; unauthenticated mail is refused when
	// the From domain publishes a DMARC policy of reject or quarantine, or
	// when its envelope sender is of another domain, and otherwise posted
	// as unverified. Commands (status, out-of-office, TRANSCRIPT) must be
	// authenticated. The default.
	Prefer Mode = "prefer"
	// Require refuses every unauthenticated message.
	Require Mode = "require"
)

// ParseMode reads a Mode ("" is Prefer).
func ParseMode(s string) (Mode, error) {
	switch m := Mode(strings.ToLower(strings.TrimSpace(s))); m {
	case "":
		return Prefer, nil
	case Off, Prefer, Require:
		return m, nil
	}
	return "", fmt.Errorf("%q is not require, prefer or off", s)
}

// Methods by which a message can be authenticated (Result.Method).
const (
	MethodDKIM  = "dkim"
	MethodSPF   = "spf"
	MethodRelay = "relay" // the trusted relay's Authentication-Results
)

// Options configure a Checker.
type Options struct {
	// Resolver answers DNS questions (a NetResolver when nil).
	Resolver Resolver
	// TrustedRelays are the MX hosts in front of parley
	// (PARLEY_TRUSTED_RELAYS): their Authentication-Results are believed,
	// and SPF is not checked against them (they relay others' mail).
	TrustedRelays []netip.Prefix
	// AuthServID is the authserv-id the trusted relays write in their
	// Authentication-Results (PARLEY_AUTHSERV_ID, often the MX's host
	// name); empty: no Authentication-Results field is believed.
	AuthServID string
	// Timeout bounds one whole check (10 s when 0).
	Timeout time.Duration
	// MaxSignatures bounds the DKIM signatures verified (5 when 0).
	MaxSignatures int
}

// Checker checks messages. It is safe for concurrent use.
type Checker struct{ o Options }

// New returns a Checker.
func New(o Options) *Checker {
	if o.Resolver == nil {
		o.Resolver = &NetResolver{}
	}
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Second
	}
	if o.MaxSignatures <= 0 {
		o.MaxSignatures = 5
	}
	o.AuthServID = strings.ToLower(strings.TrimSpace(o.AuthServID))
	return &Checker{o: o}
}

// Input is one message as a door received it.
type Input struct {
	// Raw is the whole message.
	Raw []byte
	// MailFrom is the envelope sender ("" for <>); HELO the client's
	// greeting (SMTP only).
	MailFrom, HELO string
	// Remote is the client's address; not valid for mail read from a
	// mailbox (IMAP), where only DKIM and the relay's results can speak.
	Remote netip.Addr
	// FromMailbox: the message was read from parley's own mailbox, which
	// the trusted relay fills; its Authentication-Results are believed.
	FromMailbox bool
}

// Result says whether the From domain vouches for the message, and why.
type Result struct {
	// Pass: the message is authenticated as coming from FromDomain.
	Pass bool
	// Method is how (MethodDKIM, MethodSPF, MethodRelay, or a method added
	// by Vouch, such as "pgp").
	Method string
	// FromDomain is the domain of the header From.
	FromDomain string
	// Policy is the DMARC policy the From domain publishes ("" for none).
	Policy dmarc.Policy
	// EnvelopeAligned: the envelope sender's domain is aligned with the
	// From domain (relaxed: the same organisational domain).
	EnvelopeAligned bool
	// DKIM lists the signing domains whose signatures verified; SPF is the
	// SPF result for the envelope sender's domain.
	DKIM []string
	SPF  SPFResult
	// Temporary: a DNS answer could not be had, so a verdict that would
	// refuse may be wrong; try again later.
	Temporary bool
	// Reason says, for the sender, why the message is not authenticated.
	Reason string
}

// Vouch marks r authenticated by another proof, such as a good OpenPGP
// signature by the member's own key: the hook for checks that need to
// know the member (issue 19).
func (r *Result) Vouch(method string) {
	r.Pass, r.Method, r.Reason = true, method, ""
}

// Check authenticates in. It never fails: what it could not learn is in
// Result.Temporary and Result.Reason.
func (c *Checker) Check(ctx context.Context, in Input) Result {
	ctx, cancel := context.WithTimeout(ctx, c.o.Timeout)
	defer cancel()
	hdr, err := readHeader(in.Raw)
	if err != nil {
		return Result{Reason: "the message header cannot be read"}
	}
	froms := hdr["From"]
	if len(froms) != 1 {
		return Result{Reason: "the message must have exactly one From field"}
	}
	addrs, err := mail.ParseAddressList(froms[0])
	if err != nil || len(addrs) != 1 {
		return Result{Reason: "the From field must hold exactly one address"}
	}
	r := Result{FromDomain: domainOf(addrs[0].Address)}
	if r.FromDomain == "" {
		r.Reason = "the From address has no domain"
		return r
	}
	rec := c.dmarcRecord(ctx, &r)
	envDomain := domainOf(in.MailFrom)
	if envDomain == "" {
		envDomain = strings.ToLower(in.HELO)
	}
	r.EnvelopeAligned = aligned(envDomain, r.FromDomain, dmarc.AlignmentRelaxed)
	relayed := in.FromMailbox || c.trusted(in.Remote)
	if relayed && c.relayVouches(hdr, r.FromDomain, rec) {
		r.Pass, r.Method = true, MethodRelay
		return r
	}
	if c.dkimVouches(ctx, in.Raw, &r, rec) {
		return r
	}
	if in.Remote.IsValid() && !relayed && envDomain != "" {
		r.SPF = CheckSPF(ctx, c.o.Resolver, in.Remote, envDomain, in.MailFrom, in.HELO)
		if r.SPF == SPFTempError {
			r.Temporary = true
		}
		if r.SPF == SPFPass && aligned(envDomain, r.FromDomain, rec.SPFAlignment) {
			r.Pass, r.Method = true, MethodSPF
			return r
		}
	}
	r.Reason = fmt.Sprintf("%s did not vouch for this message (no DKIM signature of %s verified, and no SPF pass for an aligned envelope sender)",
		r.FromDomain, r.FromDomain)
	return r
}

// trusted reports whether ip is one of the trusted relays.
func (c *Checker) trusted(ip netip.Addr) bool {
	if !ip.IsValid() {
		return false
	}
	ip = ip.Unmap()
	for _, p := range c.o.TrustedRelays {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// dmarcRecord looks up the From domain's DMARC record, then its
// organisational domain's; it sets r.Policy (and Temporary). It never
// returns nil: without a record, alignment is relaxed.
func (c *Checker) dmarcRecord(ctx context.Context, r *Result) *dmarc.Record {
	none := &dmarc.Record{DKIMAlignment: dmarc.AlignmentRelaxed, SPFAlignment: dmarc.AlignmentRelaxed}
	opts := &dmarc.LookupOptions{LookupTXT: c.txtFunc(ctx)}
	org := orgDomain(r.FromDomain)
	for _, d := range []string{r.FromDomain, org} {
		rec, err := dmarc.LookupWithOptions(d, opts)
		switch {
		case dmarc.IsTempFail(err):
			r.Temporary = true
			return none
		case err != nil:
			if d == org {
				return none
			}
			continue
		}
		r.Policy = rec.Policy
		if d != r.FromDomain && rec.SubdomainPolicy != "" {
			r.Policy = rec.SubdomainPolicy
		}
		if rec.DKIMAlignment == "" {
			rec.DKIMAlignment = dmarc.AlignmentRelaxed
		}
		if rec.SPFAlignment == "" {
			rec.SPFAlignment = dmarc.AlignmentRelaxed
		}
		return rec
	}
	return none
}

// txtFunc adapts the Resolver to go-msgauth: an empty answer is "no
// record", an error a temporary DNS failure.
func (c *Checker) txtFunc(ctx context.Context) func(string) ([]string, error) {
	return func(name string) ([]string, error) {
		txts, err := c.o.Resolver.LookupTXT(ctx, name)
		if err != nil {
			return nil, &net.DNSError{Err: err.Error(), Name: name, IsTemporary: true}
		}
		if len(txts) == 0 {
			return nil, &net.DNSError{Err: "no record", Name: name, IsNotFound: true}
		}
		return txts, nil
	}
}

// dkimVouches verifies the DKIM signatures; one of a domain aligned with
// the From domain authenticates the message.
func (c *Checker) dkimVouches(ctx context.Context, raw []byte, r *Result, rec *dmarc.Record) bool {
	verifs, err := dkim.VerifyWithOptions(bytes.NewReader(raw), &dkim.VerifyOptions{
		LookupTXT: c.txtFunc(ctx), MaxVerifications: c.o.MaxSignatures})
	if err != nil && err != dkim.ErrTooManySignatures {
		return false
	}
	for _, v := range verifs {
		if v.Err != nil {
			if dkim.IsTempFail(v.Err) {
				r.Temporary = true
			}
			continue
		}
		d := strings.ToLower(v.Domain)
		r.DKIM = append(r.DKIM, d)
		if !r.Pass && aligned(d, r.FromDomain, rec.DKIMAlignment) {
			r.Pass, r.Method = true, MethodDKIM
		}
	}
	return r.Pass
}

// relayVouches reads the topmost Authentication-Results field: written by
// the trusted relay (its authserv-id), does it say that DMARC passed for
// the From domain, or that DKIM or SPF passed for an aligned domain?
func (c *Checker) relayVouches(hdr mail.Header, fromDomain string, rec *dmarc.Record) bool {
	fields := hdr["Authentication-Results"]
	if c.o.AuthServID == "" || len(fields) == 0 {
		return false
	}
	ar, err := ParseAuthResults(fields[0])
	if err != nil || ar.ServID != c.o.AuthServID {
		return false
	}
	for _, m := range ar.Results {
		if m.Result != "pass" {
			continue
		}
		switch m.Method {
		case "dmarc":
			if strings.EqualFold(m.Props["header.from"], fromDomain) {
				return true
			}
		case "dkim":
			d := m.Props["header.d"]
			if d == "" {
				d = domainOf(m.Props["header.i"])
			}
			if aligned(strings.ToLower(d), fromDomain, rec.DKIMAlignment) {
				return true
			}
		case "spf":
			if aligned(domainOf(m.Props["smtp.mailfrom"]), fromDomain, rec.SPFAlignment) {
				return true
			}
		}
	}
	return false
}

// readHeader reads the header of raw, for the fields checked here.
func readHeader(raw []byte) (mail.Header, error) {
	m, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return nil, err
	}
	return m.Header, nil
}

// domainOf returns the lower-case domain of an address ("" for none);
// "domain.example" alone (smtp.mailfrom may be just the domain) is itself.
func domainOf(addr string) string {
	addr = strings.Trim(strings.TrimSpace(addr), "<>")
	if i := strings.LastIndexByte(addr, '@'); i >= 0 {
		addr = addr[i+1:]
	}
	return strings.ToLower(strings.TrimSuffix(addr, "."))
}

// orgDomain is a domain's organisational domain: the registered name
// under its public suffix (mail.example.co.uk → example.co.uk).
func orgDomain(d string) string {
	if org, err := publicsuffix.EffectiveTLDPlusOne(d); err == nil {
		return org
	}
	return d
}

// aligned reports whether domain a is aligned with the From domain under
// mode: strict wants the same name, relaxed the same organisational domain.
func aligned(a, from string, mode dmarc.AlignmentMode) bool {
	if a == "" || from == "" {
		return false
	}
	if a == from {
		return true
	}
	return mode != dmarc.AlignmentStrict && orgDomain(a) == orgDomain(from)
}
