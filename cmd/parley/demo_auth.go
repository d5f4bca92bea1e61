package main

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"fmt"

	"github.com/emersion/go-msgauth/dkim"

	"parley/inbound/senderauth"
)

// demoDKIM stands in for bob's mail provider in the demo: it signs his
// reply with a DKIM key made now, published in a resolver that answers
// from memory (the demo asks no DNS server), so that parley's sender
// authentication checks a real signature.
type demoDKIM struct {
	key      ed25519.PrivateKey
	resolver *senderauth.Static
}

// newDemoDKIM makes example.org's key and its DNS record.
func newDemoDKIM() (*demoDKIM, error) {
	pub, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("demo DKIM key: %w", err)
	}
	r := senderauth.NewStatic()
	r.SetTXT("demo._domainkey.example.org", "v=DKIM1; k=ed25519; p="+base64.StdEncoding.EncodeToString(pub))
	r.SetTXT("_dmarc.example.org", "v=DMARC1; p=reject")
	return &demoDKIM{key: key, resolver: r}, nil
}

// checker is the sender authentication the demo's receiver uses.
func (k *demoDKIM) checker() *senderauth.Checker {
	return senderauth.New(senderauth.Options{Resolver: k.resolver})
}

// sign returns raw with example.org's DKIM signature.
func (k *demoDKIM) sign(raw []byte) ([]byte, error) {
	var out bytes.Buffer
	if err := dkim.Sign(&out, bytes.NewReader(raw), &dkim.SignOptions{Domain: "example.org", Selector: "demo", Signer: k.key}); err != nil {
		return nil, fmt.Errorf("demo DKIM signature: %w", err)
	}
	return out.Bytes(), nil
}
