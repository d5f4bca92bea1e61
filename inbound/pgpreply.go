package inbound

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/mail"
	"strings"
	"sync"
	"time"

	"parley/inbound/mailparse"
	"parley/internal/pgp"
	"parley/internal/pgpmime"
	"parley/threads"
)

// OpenPGP on the way in (issue 19): a PGP/MIME reply encrypted to
// parley's key is decrypted and folded like any reply; its signature is
// checked against the sender's key; a reply parley cannot decrypt is
// answered with a notice and never posted as ciphertext; one that was
// changed on the way is refused. An Autocrypt header on a member's mail
// teaches parley their key.

// noticeEncrypted is the notice kind for a reply parley could not decrypt.
const noticeEncrypted = "encrypted"

// pgpState is parley's key pair, read from the store at the first
// encrypted message and kept.
type pgpState struct {
	mu  sync.Mutex
	key *pgp.ServerKey
}

// serverKey returns parley's key pair (made at the first start; see
// pgp.LoadServerKey).
func (m *Mail) serverKey(ctx context.Context) (*pgp.ServerKey, error) {
	m.pgp.mu.Lock()
	defer m.pgp.mu.Unlock()
	if m.pgp.key != nil {
		return m.pgp.key, nil
	}
	k, err := pgp.LoadServerKey(ctx, m.o.Store.Auth, "parley", m.from, time.Now())
	if err != nil {
		return nil, err
	}
	m.pgp.key = k
	return k, nil
}

// signedKey marks a context whose message was decrypted and carried a good
// signature by the member's own key.
type signedKey struct{}

// SignedByMember reports whether the message being received was encrypted
// to parley and signed by the key of the member its From names: proof of
// the sender as strong as DKIM (for sender authentication, issue 20).
func SignedByMember(ctx context.Context) bool {
	v, _ := ctx.Value(signedKey{}).(bool)
	return v
}

// receiveEncrypted opens a PGP/MIME message and receives what it holds.
func (m *Mail) receiveEncrypted(ctx context.Context, env Envelope, raw []byte) (Result, error) {
	if int64(len(raw)) > m.o.MaxBytes {
		return Result{}, Refuse(fmt.Sprintf("message too large (limit %d bytes)", m.o.MaxBytes), nil)
	}
	if ctx.Value(signedKey{}) != nil {
		return Result{}, Refuse("an encrypted message inside an encrypted message is not read", nil)
	}
	from := headerFrom(raw)
	log := m.log.With("door", env.Door, "from", from)
	key, err := m.serverKey(ctx)
	if err != nil {
		return Result{}, Defer("temporary failure, try again later", err)
	}
	var signer *pgp.PublicKey
	member := ""
	if from != "" {
		id, mk, err := m.o.Store.Directory.MemberKeyByEmail(ctx, from)
		switch {
		case errors.Is(err, threads.ErrNotFound):
		case err != nil:
			return Result{}, Defer("temporary failure, try again later", err)
		default:
			member = id
			if signer, err = pgp.ParsePublicKey(mk.Key, time.Now()); err != nil {
				log.Warn("member's public key is not usable to check a signature", "member", id, "err", err)
				signer = nil
			}
		}
	}
	sig := pgp.Unsigned
	plain, err := pgpmime.Unwrap(raw, func(ct []byte) ([]byte, error) {
		p, s, err := key.Decrypt(ct, signer, m.o.MaxBytes, time.Now())
		sig = s
		return p, err
	})
	switch {
	case errors.Is(err, pgp.ErrNotForUs):
		return m.unreadable(ctx, log, from, raw)
	case errors.Is(err, pgp.ErrTampered):
		log.Warn("encrypted reply refused", "err", err)
		return Result{}, Refuse("the encrypted message was changed on the way, or its signature does not match your key; it was not posted", err)
	case err != nil:
		log.Warn("encrypted reply not readable", "err", err)
		return Result{}, Refuse("the encrypted message is not readable PGP/MIME (RFC 3156); it was not posted", err)
	}
	log.Info("encrypted reply decrypted", "member", member, "signature", sig.String())
	return m.Receive(context.WithValue(ctx, signedKey{}, sig == pgp.GoodSignature), env, plain)
}

// unreadable answers a member's reply encrypted to another key with a
// notice; a stranger's is dropped (no backscatter).
func (m *Mail) unreadable(ctx context.Context, log *slog.Logger, from string, raw []byte) (Result, error) {
	res := Result{Outcome: Ignored, Note: "encrypted to another key"}
	if from == "" {
		return res, nil
	}
	if _, err := m.o.Store.Directory.UserByEmail(ctx, from); err != nil {
		if errors.Is(err, threads.ErrNotFound) {
			log.Info("encrypted mail from a stranger, not for parley's key, dropped")
			return res, nil
		}
		return Result{}, Defer("temporary failure, try again later", err)
	}
	log.Info("encrypted reply for another key; the sender is told")
	n, ok := m.newNotice(noticeEncrypted, from, strings.Trim(headerValue(raw, "Message-ID"), "<> "), NoticeData{})
	if ok {
		if _, err := m.o.Store.Queue.QueueNotice(ctx, n); err != nil {
			return Result{}, Defer("temporary failure, try again later", err)
		}
	}
	return res, nil
}

// headerFrom is the lower-cased address of raw's From ("" when none).
func headerFrom(raw []byte) string {
	a, err := mail.ParseAddress(headerValue(raw, "From"))
	if err != nil {
		return ""
	}
	return strings.ToLower(a.Address)
}

// headerValue is the first value of a header field of raw.
func headerValue(raw []byte, name string) string {
	h := readHeader(raw, name)
	if h == nil {
		return ""
	}
	return h.Get(name)
}

// autocryptHeaders are the values of every Autocrypt field of raw.
func autocryptHeaders(raw []byte) []string {
	return readHeader(raw, "Autocrypt")["Autocrypt"]
}

// readHeader parses the header section of raw, or returns nil when it has
// no field name (the common case, which then costs a scan and no parse)
// or cannot be read.
func readHeader(raw []byte, name string) mail.Header {
	end := bytes.Index(raw, []byte("\r\n\r\n"))
	if end < 0 {
		end = bytes.Index(raw, []byte("\n\n"))
	}
	if end < 0 {
		end = len(raw)
	}
	if !hasField(raw[:end], name) {
		return nil
	}
	msg, err := mail.ReadMessage(bytes.NewReader(append(raw[:end:end], "\r\n\r\n"...)))
	if err != nil {
		return nil
	}
	return msg.Header
}

// hasField reports whether a line of header starts with name and a colon,
// in any case.
func hasField(header []byte, name string) bool {
	for line := range bytes.Lines(header) {
		if len(line) > len(name) && line[len(name)] == ':' && bytes.EqualFold(line[:len(name)], []byte(name)) {
			return true
		}
	}
	return false
}

// learnAutocrypt applies Autocrypt Level 1 to a member's message: one
// valid Autocrypt header whose addr is the From address sets the member's
// key when it is newer than the one learned before (threads
// LearnMemberKey; a key set by hand is kept). Anything wrong is logged and
// ignored: the reply is posted all the same. Receive calls it only for
// mail that passed sender authentication (authgate.go), so a forged From
// cannot plant a key.
func (m *Mail) learnAutocrypt(ctx context.Context, log *slog.Logger, user threads.User, msg *mailparse.Message, raw []byte) {
	values := autocryptHeaders(raw)
	if len(values) == 0 {
		return
	}
	var found []pgp.Autocrypt
	for _, v := range values {
		a, err := pgp.ParseAutocrypt(v)
		if err == nil && a.Addr == strings.ToLower(msg.From.Email) {
			found = append(found, a)
		}
	}
	if len(found) != 1 { // Level 1: none or several valid headers teach nothing
		return
	}
	now := time.Now()
	key, err := pgp.ParsePublicKey(found[0].KeyData, now)
	if err != nil {
		log.Info("Autocrypt key not usable; ignored", "err", err)
		return
	}
	date := msg.Date
	if date.IsZero() || date.After(now) {
		date = now
	}
	ok, err := m.o.Store.Directory.LearnMemberKey(ctx, user.ID, threads.MemberKey{Key: key.Bytes, Fingerprint: key.Fingerprint,
		Addr: found[0].Addr, Updated: date})
	if err != nil {
		log.Warn("Autocrypt key not stored", "err", err)
		return
	}
	if ok {
		log.Info("Autocrypt key learned", "fingerprint", key.Fingerprint)
	}
}
