package smtpsend

import (
	"context"

	"github.com/emersion/go-smtp"
)

// requireTLSKey marks the context of a send that must not go without
// REQUIRETLS (a confidential room's mail).
type requireTLSKey struct{}

// WithRequireTLS marks ctx: with Options.RequireTLS on, its message is
// sent only with REQUIRETLS (RFC 8689), and refused when the smarthost
// does not offer it. Without Options.RequireTLS the mark does nothing.
func WithRequireTLS(ctx context.Context) context.Context {
	return context.WithValue(ctx, requireTLSKey{}, true)
}

func mustRequireTLS(ctx context.Context) bool { return ctx.Value(requireTLSKey{}) != nil }

// requireTLS sets REQUIRETLS on the MAIL command when Options.RequireTLS
// is on and the smarthost offers it: then every server on the way must
// take the message over verified TLS or bounce it. A message marked with
// WithRequireTLS is refused when the smarthost does not offer it (the
// refusal is about parley's setup: the worker retries it, never sends it
// in the clear).
func (c *Client) requireTLS(ctx context.Context, cn *conn, opts *smtp.MailOptions) error {
	if !c.opt.RequireTLS {
		return nil
	}
	if ok, _ := cn.w.extension("REQUIRETLS"); ok {
		opts.RequireTLS = true
		return nil
	}
	if mustRequireTLS(ctx) {
		return permanent("mail", "the smarthost does not offer REQUIRETLS (RFC 8689): a confidential room's mail is not sent without it")
	}
	return nil
}
