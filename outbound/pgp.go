package outbound

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"parley/internal/pgp"
	"parley/internal/recent"
	"parley/outbound/mailcompose"
	"parley/threads"
)

// KeyStore finds a member's public key by address (threads.Directory).
type KeyStore interface {
	MemberKeyByEmail(ctx context.Context, addr string) (string, threads.MemberKey, error)
}

var _ KeyStore = (*threads.Directory)(nil)

// PGPOptions configure PGPTransport.
type PGPOptions struct {
	// Next submits what PGPTransport made. Required.
	Next Transport
	// Keys finds members' keys. Required.
	Keys KeyStore
	// Server is parley's own key pair. Required.
	Server *pgp.ServerKey
	// Composer re-signs (DKIM) the encrypted message. Required.
	Composer *mailcompose.Composer
	Log      *slog.Logger
}

// PGPTransport is the one step through which every email parley sends
// passes (relays, digests, notices, transcripts, whatever is composed
// later): each carries parley's key in an Autocrypt header, and one to a
// member with a public key goes encrypted to that key and signed by parley
// as PGP/MIME (mailcompose.Composer.Protect).
type PGPTransport struct {
	o PGPOptions
	// keys remembers each address's key (or that it has none) briefly, so
	// that a busy member costs no Redis round trip per email; a key set or
	// removed takes effect within keyCacheFor.
	keys recent.Cache[keyEntry]
}

type keyEntry struct {
	key *pgp.PublicKey // nil: no usable key
}

// keyCacheFor is how long an address's key (or its absence) is trusted.
const keyCacheFor = 10 * time.Second

var _ Transport = (*PGPTransport)(nil)

// NewPGPTransport returns the transport.
func NewPGPTransport(o PGPOptions) *PGPTransport {
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	return &PGPTransport{o: o, keys: recent.Cache[keyEntry]{TTL: keyCacheFor}}
}

// Send protects msg (see PGPTransport) and hands it on. A message to
// several recipients is never encrypted (parley sends none).
func (p *PGPTransport) Send(ctx context.Context, from string, to []string, msg []byte) error {
	var key *pgp.PublicKey
	if len(to) == 1 {
		var err error
		find := p.KeyFor
		if encryptedOnly(ctx) {
			find = p.FreshKeyFor
		}
		if key, err = find(ctx, to[0]); err != nil {
			return err
		}
	}
	if key == nil && encryptedOnly(ctx) {
		return Permanent(fmt.Errorf("send to %v: %w", to, ErrNotEncrypted))
	}
	out, err := p.o.Composer.Protect(mailcompose.Message{From: from, To: to, Bytes: msg}, mailcompose.Protection{Key: p.o.Server, To: key})
	if err != nil {
		return Permanent(err)
	}
	return p.o.Next.Send(ctx, from, to, out.Bytes)
}

// KeyFor is the usable public key of the member with address addr, or nil
// when they have none (or theirs has expired or been revoked: mail to
// them then goes plain, and the problem is logged).
func (p *PGPTransport) KeyFor(ctx context.Context, addr string) (*pgp.PublicKey, error) {
	addr = strings.ToLower(strings.TrimSpace(addr))
	if e, ok := p.keys.Get(addr, time.Now()); ok {
		return e.key, nil
	}
	return p.FreshKeyFor(ctx, addr)
}

// FreshKeyFor is KeyFor read from the store, never from what was read
// lately: a confidential room's lines wait for no cache to learn of a
// key just set.
func (p *PGPTransport) FreshKeyFor(ctx context.Context, addr string) (*pgp.PublicKey, error) {
	addr = strings.ToLower(strings.TrimSpace(addr))
	now := time.Now()
	member, mk, err := p.o.Keys.MemberKeyByEmail(ctx, addr)
	switch {
	case errors.Is(err, threads.ErrNotFound):
		p.keys.Put(addr, keyEntry{}, now)
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("public key of %s: %w", addr, err)
	}
	key, err := pgp.ParsePublicKey(mk.Key, now)
	if err != nil {
		p.o.Log.Warn("member's public key is not usable; mail goes unencrypted", "member", member, "fingerprint", mk.Fingerprint, "err", err)
		key = nil
	}
	p.keys.Put(addr, keyEntry{key}, now)
	return key, nil
}
