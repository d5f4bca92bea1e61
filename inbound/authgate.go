package inbound

import (
	"context"
	"log/slog"
	"net/netip"

	"parley/inbound/senderauth"
	"parley/threads"
)

// Sender authentication at the receiver: a message counts as the member's
// only if their domain vouches for it (inbound/senderauth), or a Voucher
// does. What an unauthenticated message may still do is Options.AuthMode.
// A refusal is a 550 5.7.1 at the SMTP door (the sender's own server
// tells them, with the reason), never a notice by mail: a notice would go
// to the very address that was forged.

// Voucher is another proof that a member wrote a message, asked only when
// the From domain did not vouch: a good OpenPGP signature by the member's
// own key (issue 19) is one. It returns the method's name ("pgp").
type Voucher interface {
	Vouch(ctx context.Context, member threads.User, raw []byte) (method string, ok bool, err error)
}

// Unverified: the note of a line posted under senderauth.Prefer whose
// sender could not be authenticated.
const Unverified = "unverified sender"

// authenticate decides whether the message may act as u: command is true
// for status commands, out-of-office replies and TRANSCRIPT, which every
// mode but off requires to be authenticated. It returns whether the
// message may only be posted as unverified; the error refuses it.
func (m *Mail) authenticate(ctx context.Context, log *slog.Logger, env Envelope, raw []byte, u threads.User, command bool) (unverified bool, err error) {
	if m.o.SenderAuth == nil || m.o.AuthMode == senderauth.Off {
		return false, nil
	}
	in := senderauth.Input{Raw: raw, MailFrom: env.MailFrom, HELO: env.HELO, FromMailbox: env.Door == "imap"}
	if env.Door == "smtp" {
		if ap, err := netip.ParseAddrPort(env.Remote); err == nil {
			in.Remote = ap.Addr()
		}
	}
	r := m.o.SenderAuth.Check(ctx, in)
	for _, v := range m.o.Vouchers {
		if r.Pass {
			break
		}
		method, ok, err := v.Vouch(ctx, u, raw)
		if err != nil {
			return false, Defer("temporary failure, try again later", err)
		}
		if ok {
			r.Vouch(method)
		}
	}
	d := senderauth.Decide(m.o.AuthMode, r, command)
	log.Info("sender authentication", "pass", r.Pass, "method", r.Method, "from_domain", r.FromDomain,
		"dkim", r.DKIM, "spf", string(r.SPF), "dmarc", string(r.Policy), "temporary", r.Temporary, "verdict", d.Verdict)
	switch d.Verdict {
	case senderauth.Refuse:
		return false, Refuse(d.Reason, nil)
	case senderauth.Defer:
		return false, Defer(d.Reason, nil)
	}
	return d.Verdict == senderauth.AcceptUnverified, nil
}
