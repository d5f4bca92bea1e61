package mailcompose

import (
	"bytes"
	"crypto"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"

	"github.com/emersion/go-msgauth/dkim"
)

// DKIMOptions configure DKIM signing.
type DKIMOptions struct {
	// Domain is the signing domain (d=); Options.Domain when empty.
	Domain string
	// Selector names the key's DNS record: SELECTOR._domainkey.DOMAIN.
	Selector string
	// PrivateKeyPEM is the key: PKCS #8 ("PRIVATE KEY", RSA or Ed25519) or
	// PKCS #1 ("RSA PRIVATE KEY"). RSA keys need at least 1024 bits (2048
	// recommended).
	PrivateKeyPEM []byte
}

// signedFields are the header fields a signature covers. From and Subject
// appear twice, and fields a message may lack are listed too: a signed name
// with no field behind it asserts that the field is absent, so nobody on the
// way can add a second From, or an Auto-Submitted, without breaking the
// signature. RFC 8058 requires List-Unsubscribe and List-Unsubscribe-Post to
// be signed.
var signedFields = []string{
	"From", "From", "Reply-To", "To", "Cc", "Subject", "Subject", "Date",
	"Message-ID", "In-Reply-To", "References",
	"List-Id", "List-Archive", "List-Unsubscribe", "List-Unsubscribe-Post",
	"Auto-Submitted", "MIME-Version", "Content-Type", "Content-Transfer-Encoding",
}

type signer struct {
	opts dkim.SignOptions
}

func newSigner(o DKIMOptions, domain string) (*signer, error) {
	if o.Domain == "" {
		o.Domain = domain
	}
	o.Domain, o.Selector = strings.ToLower(o.Domain), strings.ToLower(o.Selector)
	if !domainPattern.MatchString(o.Domain) {
		return nil, fmt.Errorf("dkim domain %q is not a domain name", o.Domain)
	}
	if !domainPattern.MatchString(o.Selector) {
		return nil, fmt.Errorf("dkim selector %q is not a DNS label", o.Selector)
	}
	key, err := parseKey(o.PrivateKeyPEM)
	if err != nil {
		return nil, fmt.Errorf("dkim key: %w", err)
	}
	return &signer{opts: dkim.SignOptions{
		Domain:                 o.Domain,
		Selector:               o.Selector,
		Signer:                 key,
		HeaderCanonicalization: dkim.CanonicalizationRelaxed,
		BodyCanonicalization:   dkim.CanonicalizationRelaxed,
		HeaderKeys:             signedFields,
	}}, nil
}

// parseKey reads an RSA or Ed25519 private key from PEM.
func parseKey(data []byte) (crypto.Signer, error) {
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, errors.New("no PEM block found")
	}
	var key any
	var err error
	switch block.Type {
	case "PRIVATE KEY":
		key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	case "RSA PRIVATE KEY":
		key, err = x509.ParsePKCS1PrivateKey(block.Bytes)
	default:
		return nil, fmt.Errorf("PEM block %q is not a PRIVATE KEY or RSA PRIVATE KEY", block.Type)
	}
	if err != nil {
		return nil, err
	}
	switch k := key.(type) {
	case *rsa.PrivateKey: // Go refuses keys of fewer than 1024 bits
		return k, nil
	case ed25519.PrivateKey:
		return k, nil
	}
	return nil, fmt.Errorf("key type %T is neither RSA nor Ed25519", key)
}

// sign returns msg with a DKIM-Signature field in front.
func (s *signer) sign(msg []byte) ([]byte, error) {
	opts := s.opts // the library may keep a pointer; give it its own copy
	var out bytes.Buffer
	if err := dkim.Sign(&out, bytes.NewReader(msg), &opts); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}
