package inbound

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"log/slog"

	"parley/inbound/mailparse"
	"parley/threads"
)

// bounceToken returns the token of the bounce address (VERP) the message
// was sent to: an envelope recipient (SMTP), or To or Cc (IMAP).
func (m *Mail) bounceToken(env Envelope, msg *mailparse.Message) (string, bool) {
	candidates := env.Rcpt
	if len(candidates) == 0 {
		for _, a := range append(append([]mailparse.Address(nil), msg.To...), msg.Cc...) {
			candidates = append(candidates, a.Email)
		}
	}
	for _, c := range candidates {
		if tok, ok := threads.ParseBounceAddress(c, m.o.Domain); ok {
			return tok, true
		}
	}
	return "", false
}

// tokenHash names a token in the log without giving it away.
func tokenHash(tok string) string {
	h := sha256.Sum256([]byte(tok))
	return hex.EncodeToString(h[:4])
}

// toBounceAddress handles mail to a bounce address. Its token, when it
// verifies, names the one recipient of one message parley sent: a
// permanent delivery failure marks that address failing, an out-of-office
// reply sets its owner away. Nothing else sent there is acted on, and no
// report is ever refused (a refusal would only bounce again).
func (m *Mail) toBounceAddress(ctx context.Context, log *slog.Logger, tok string, msg *mailparse.Message) (Result, error) {
	log = log.With("bounce_token", tokenHash(tok))
	b, err := m.o.Store.Auth.ResolveBounceToken(ctx, tok)
	if errors.Is(err, threads.ErrBadToken) {
		log.Warn("mail to an unknown or expired bounce address dropped")
		return Result{Outcome: Ignored, Note: "unknown bounce address"}, nil
	}
	if err != nil {
		return Result{}, Defer("temporary failure, try again later", err)
	}
	u, err := m.o.Store.Directory.UserByEmail(ctx, b.Recipient)
	if errors.Is(err, threads.ErrNotFound) {
		log.Info("report for an address no member has any more dropped")
		return Result{Outcome: Ignored, Note: "address no longer in use"}, nil
	}
	if err != nil {
		return Result{}, Defer("temporary failure, try again later", err)
	}
	res := Result{Member: u.ID}
	log = log.With("member", u.ID)
	switch msg.Kind {
	case mailparse.KindVacation:
		return m.away(ctx, log, res, u, msg)
	case mailparse.KindBounce:
	default:
		log.Info("mail to a bounce address that is no delivery report dropped")
		res.Outcome, res.Note = Ignored, "not a delivery report"
		return res, nil
	}
	res.Outcome = BounceRecorded
	if msg.Bounce == nil || !msg.Bounce.Permanent {
		res.Note = "temporary delivery failure"
		log.Info("temporary delivery failure reported")
		return res, nil
	}
	marked, err := m.o.Store.Directory.MarkEmailFailing(ctx, u.ID, b.Recipient)
	if err != nil && !errors.Is(err, threads.ErrNotFound) {
		return res, Defer("temporary failure, try again later", err)
	}
	if marked {
		log.Warn("address bounces; routing will prefer SMS", "status", msg.Bounce.Status)
	}
	res.Note = "status " + msg.Bounce.Status
	return res, nil
}
