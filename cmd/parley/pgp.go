package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"parley/internal/pgp"
	"parley/outbound"
	"parley/outbound/mailcompose"
	"parley/threads"
)

// pgpLoadTimeout bounds reading (or, at the first start, generating and
// storing) parley's OpenPGP key while the dispatcher is built.
const pgpLoadTimeout = 15 * time.Second

// withPGP puts the OpenPGP step in front of transport: parley's key pair
// (made at the first start, kept in Redis sealed under PARLEY_SECRET) goes
// in every email's Autocrypt header, and mail to a member with a public
// key goes encrypted (issue 19). It returns the transport and what tells
// who has a key (nil without a secret: then nothing changes, and
// confidential rooms send only notices).
func withPGP(cfg Config, st *threads.Store, composer *mailcompose.Composer, transport outbound.Transport, log *slog.Logger) (outbound.Transport, outbound.KeyFinder, error) {
	if cfg.Secret == "" {
		return transport, nil, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), pgpLoadTimeout)
	defer cancel()
	key, err := pgp.LoadServerKey(ctx, st.Auth, "parley", composer.LoopID(), time.Now())
	if err != nil {
		return nil, nil, fmt.Errorf("parley's OpenPGP key: %w", err)
	}
	if log != nil {
		log.Info("OpenPGP ready", "fingerprint", key.Public().Fingerprint)
	}
	p := outbound.NewPGPTransport(outbound.PGPOptions{Next: transport, Keys: st.Directory, Server: key, Composer: composer, Log: log})
	return p, p, nil
}

// errKeyNotMade: parley's key is not stored yet (the dispatcher makes it).
var errKeyNotMade = errors.New("parley's OpenPGP key is not made yet")

// serverPublicKey reads parley's public key for the page (web
// Options.ServerKey) once withPGP has made it, and keeps it; nil without
// a secret. Before the key is made it answers none.
func serverPublicKey(cfg Config, st *threads.Store) func(context.Context) (*pgp.PublicKey, error) {
	if cfg.Secret == "" {
		return nil
	}
	var mu sync.Mutex
	var key *pgp.PublicKey
	return func(ctx context.Context) (*pgp.PublicKey, error) {
		mu.Lock()
		defer mu.Unlock()
		if key != nil {
			return key, nil
		}
		data, err := st.Auth.ServerKey(ctx, func() ([]byte, error) { return nil, errKeyNotMade })
		if errors.Is(err, errKeyNotMade) {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		k, err := pgp.ParseServerKey(data, time.Now())
		if err != nil {
			return nil, err
		}
		key = k.Public()
		return key, nil
	}
}
