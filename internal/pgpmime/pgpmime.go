// Package pgpmime wraps a composed email into an encrypted PGP/MIME
// message (RFC 3156, multipart/encrypted) and unwraps one a member sent.
//
// Wrap follows the "protected headers" convention (as Thunderbird and
// Autocrypt clients do): the original header fields that say what the
// message is about (Subject, From, To, Date, threading) are copied into
// the encrypted part, whose Content-Type carries protected-headers="v1",
// and the outer Subject is a neutral "[parley] message". The fields a
// server on the way needs (addresses, Message-ID, threading, List-*,
// Auto-Submitted) stay outside. The crypto itself is a function the
// caller gives (internal/pgp), so this package is only MIME.
package pgpmime

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"strings"
)

// OuterSubject is the Subject every encrypted message shows outside.
const OuterSubject = "[parley] message"

// protected are the fields copied into the encrypted part.
var protected = []string{"From", "To", "Cc", "Reply-To", "Subject", "Date", "Message-ID", "In-Reply-To", "References"}

// dropped never appear outside: a DKIM signature of the plain message
// (the caller signs the outer one) and the plain message's MIME-Version.
var dropped = []string{"DKIM-Signature", "MIME-Version"}

// preamble is for mail readers that know no MIME; clients never show it.
const preamble = "This is an OpenPGP/MIME encrypted message (RFC 4880 and 3156)\r\n"

// Wrap returns msg (a whole message, CRLF line endings) as
// multipart/encrypted. encrypt turns the inner MIME entity into an
// armored OpenPGP message (signed and encrypted).
func Wrap(msg []byte, encrypt func(plain []byte) ([]byte, error)) ([]byte, error) {
	fields, body := split(msg)
	if len(fields) == 0 || body == nil {
		return nil, errors.New("pgp/mime: message has no header or no body")
	}
	var inner, outer bytes.Buffer
	ctype := get(fields, "Content-Type")
	if ctype == "" {
		ctype = "text/plain; charset=us-ascii"
	}
	inner.WriteString("Content-Type: " + ctype + "; protected-headers=\"v1\"\r\n")
	for _, f := range fields {
		if f.content() && !f.is("Content-Type") {
			inner.Write(f.raw)
		}
	}
	for _, name := range protected {
		for _, f := range fields {
			if f.is(name) {
				inner.Write(f.raw)
			}
		}
	}
	inner.WriteString("\r\n")
	inner.Write(body)

	armored, err := encrypt(inner.Bytes())
	if err != nil {
		return nil, fmt.Errorf("pgp/mime: %w", err)
	}
	sum := sha256.Sum256(armored)
	boundary := "=_pgp" + hex.EncodeToString(sum[:12])

	for _, f := range fields {
		switch {
		case f.content() || isAny(f, dropped):
		case f.is("Subject"):
			outer.WriteString("Subject: " + OuterSubject + "\r\n")
		default:
			outer.Write(f.raw)
		}
	}
	outer.WriteString("MIME-Version: 1.0\r\n")
	outer.WriteString("Content-Type: multipart/encrypted; protocol=\"application/pgp-encrypted\";\r\n boundary=\"" + boundary + "\"\r\n\r\n")
	outer.WriteString(preamble)
	outer.WriteString("--" + boundary + "\r\n")
	outer.WriteString("Content-Type: application/pgp-encrypted\r\nContent-Description: PGP/MIME version identification\r\n\r\nVersion: 1\r\n\r\n")
	outer.WriteString("--" + boundary + "\r\n")
	outer.WriteString("Content-Type: application/octet-stream; name=\"encrypted.asc\"\r\n" +
		"Content-Description: OpenPGP encrypted message\r\nContent-Disposition: inline; filename=\"encrypted.asc\"\r\n\r\n")
	outer.Write(crlf(armored))
	outer.WriteString("\r\n--" + boundary + "--\r\n")
	return outer.Bytes(), nil
}

func isAny(f field, names []string) bool {
	for _, n := range names {
		if f.is(n) {
			return true
		}
	}
	return false
}

// crlf ends every line of b in CRLF.
func crlf(b []byte) []byte {
	b = bytes.ReplaceAll(b, []byte("\r\n"), []byte("\n"))
	return bytes.ReplaceAll(bytes.TrimRight(b, "\n"), []byte("\n"), []byte("\r\n"))
}

// ErrNotEncrypted: the message is not multipart/encrypted PGP/MIME.
var ErrNotEncrypted = errors.New("not a PGP/MIME encrypted message")

// ErrMalformed: the message says it is PGP/MIME but its parts are not.
var ErrMalformed = errors.New("malformed PGP/MIME message")

// IsEncrypted reports whether msg's top-level Content-Type is
// multipart/encrypted for OpenPGP. It reads only the header.
func IsEncrypted(msg []byte) bool {
	mt, params, err := mime.ParseMediaType(lookup(msg, "Content-Type"))
	return err == nil && mt == "multipart/encrypted" && strings.EqualFold(params["protocol"], "application/pgp-encrypted")
}

// MaxCiphertext caps the encrypted part Unwrap reads.
const MaxCiphertext = 32 << 20

// Unwrap opens a PGP/MIME message: decrypt turns the encrypted part into
// the inner MIME entity, and the result is the message the member wrote:
// the outer header fields but Content-*, with the Subject taken from the
// protected headers when the inner entity has them, and the inner
// entity's content fields and body.
func Unwrap(msg []byte, decrypt func(ciphertext []byte) ([]byte, error)) ([]byte, error) {
	if !IsEncrypted(msg) {
		return nil, ErrNotEncrypted
	}
	fields, body := split(msg)
	_, params, _ := mime.ParseMediaType(get(fields, "Content-Type"))
	if params["boundary"] == "" {
		return nil, fmt.Errorf("%w: no boundary", ErrMalformed)
	}
	mr := multipart.NewReader(bytes.NewReader(body), params["boundary"])
	var ciphertext []byte
	for i := 0; ; i++ {
		p, err := mr.NextRawPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
		}
		mt, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		if i == 1 && mt == "application/octet-stream" {
			ciphertext, err = io.ReadAll(io.LimitReader(p, MaxCiphertext+1))
			if err != nil {
				return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
			}
		}
		if i > 1 {
			return nil, fmt.Errorf("%w: more than two parts", ErrMalformed)
		}
	}
	switch {
	case ciphertext == nil:
		return nil, fmt.Errorf("%w: no application/octet-stream second part", ErrMalformed)
	case len(ciphertext) > MaxCiphertext:
		return nil, fmt.Errorf("%w: encrypted part larger than %d bytes", ErrMalformed, MaxCiphertext)
	}
	plain, err := decrypt(ciphertext)
	if err != nil {
		return nil, err
	}
	innerFields, innerBody := split(plain)
	if innerBody == nil {
		return nil, fmt.Errorf("%w: the decrypted part has no header", ErrMalformed)
	}
	subject := ""
	if _, ip, err := mime.ParseMediaType(get(innerFields, "Content-Type")); err == nil && ip["protected-headers"] != "" {
		subject = get(innerFields, "Subject")
	}
	var out bytes.Buffer
	for _, f := range fields {
		switch {
		case f.content():
		case subject != "" && f.is("Subject"):
			out.WriteString("Subject: " + subject + "\r\n")
		default:
			out.Write(f.raw)
		}
	}
	for _, f := range innerFields {
		if f.content() {
			out.Write(f.raw)
		}
	}
	out.WriteString("\r\n")
	out.Write(innerBody)
	return out.Bytes(), nil
}
