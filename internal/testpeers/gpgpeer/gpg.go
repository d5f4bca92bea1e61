// Package gpgpeer runs GnuPG, the OpenPGP tool of mail clients (Thunderbird
// reads the same messages), against a throwaway keyring: the real peer that
// decrypts what parley encrypts and encrypts what it must decrypt.
package gpgpeer

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"parley/internal/testpeers"
)

// GPG is gpg with its own GNUPGHOME, removed when the test ends.
type GPG struct {
	t    testing.TB
	path string
	home string
}

// New returns gpg on a fresh keyring; a missing gpg follows the peer rule
// (testpeers.Missing).
func New(t testing.TB) *GPG {
	t.Helper()
	path := testpeers.Program(t, "gpg", testpeers.Apt("gnupg"))
	// A short path: gpg-agent's socket path must fit in 108 bytes.
	home, err := os.MkdirTemp("", "gpg")
	if err != nil {
		t.Fatal(err)
	}
	g := &GPG{t: t, path: path, home: home}
	t.Cleanup(func() {
		_, _ = g.run(nil, "gpgconf", "--kill", "gpg-agent")
		_ = os.RemoveAll(home)
	})
	return g
}

// run runs gpg (or, when the first argument is "gpgconf", gpgconf) with
// input on its standard input.
func (g *GPG) run(input []byte, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	prog := g.path
	if len(args) > 0 && args[0] == "gpgconf" {
		prog, args = "gpgconf", args[1:]
	}
	cmd := exec.CommandContext(ctx, prog, args...)
	cmd.Env = append(os.Environ(), "GNUPGHOME="+g.home)
	cmd.Stdin = bytes.NewReader(input)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if err != nil {
		return out.String(), fmt.Errorf("%s %s: %w: %s", prog, strings.Join(args, " "), err, errb.String())
	}
	return out.String(), nil
}

// Import adds keys (public or private, armored or binary) to the keyring
// and trusts them fully, so that signatures verify as good.
func (g *GPG) Import(key []byte) {
	g.t.Helper()
	if _, err := g.run(key, "--batch", "--yes", "--import"); err != nil {
		g.t.Fatal(err)
	}
}

// Decrypt decrypts an armored OpenPGP message; status holds gpg's
// machine-readable report (GOODSIG, DECRYPTION_OKAY, ...).
func (g *GPG) Decrypt(msg []byte) (plain []byte, status string, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, g.path, "--batch", "--yes", "--pinentry-mode", "loopback", "--passphrase", "",
		"--trust-model", "always", "--status-fd", "2", "--decrypt")
	cmd.Env = append(os.Environ(), "GNUPGHOME="+g.home)
	cmd.Stdin = bytes.NewReader(msg)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err = cmd.Run()
	return out.Bytes(), errb.String(), err
}

// EncryptSign encrypts plain to the key of recipient, signed by the key of
// signer (both in the keyring), armored: what a member's client sends.
func (g *GPG) EncryptSign(plain []byte, signer, recipient string) []byte {
	g.t.Helper()
	out, err := g.run(plain, "--batch", "--yes", "--pinentry-mode", "loopback", "--passphrase", "",
		"--trust-model", "always", "--armor", "--local-user", signer, "--recipient", recipient, "--sign", "--encrypt")
	if err != nil {
		g.t.Fatal(err)
	}
	return []byte(out)
}
