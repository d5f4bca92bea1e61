package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/mail"
	"strings"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/go-crypto/openpgp/packet"

	"parley/internal/pgp"
	"parley/threads"
)

// demoBoard is the demo's confidential room.
const demoBoard = "board"

// showEncryption gives bob an OpenPGP key (as his mail client would make
// it), opens the confidential room board, and shows alice's line reaching
// bob encrypted and carol's phone only as a notice; then bob's key opens
// his email.
func (d *demo) showEncryption(ctx context.Context) error {
	bobKey, err := openpgp.NewEntity("Bob Ray", "", "bob@example.org", &packet.Config{Algorithm: packet.PubKeyAlgoEdDSA})
	if err != nil {
		return fmt.Errorf("bob's key: %w", err)
	}
	var pub bytes.Buffer
	if err := bobKey.Serialize(&pub); err != nil {
		return err
	}
	k, err := pgp.ParsePublicKey(pub.Bytes(), time.Now())
	if err != nil {
		return err
	}
	if err := d.st.Directory.SetMemberKey(ctx, "bob", threads.MemberKey{Key: k.Bytes, Fingerprint: k.Fingerprint, Source: threads.KeyFromMember}); err != nil {
		return err
	}
	room := threads.Room{ID: demoBoard, Name: "Board", Topic: "the launch budget", Kind: threads.Group,
		Members: []string{"alice", "bob", "carol"}, Confidential: true}
	if _, err := d.st.Chat.CreateRoom(ctx, room); err != nil && !errors.Is(err, threads.ErrExists) {
		return err
	}
	d.printf("\nEncryption: bob uploads his OpenPGP public key (parley user key add bob bob.asc; or the Encryption\n"+
		"section of his profile page, PUT /api/me/key, or his mail client's Autocrypt header), key %s. Board is a confidential room\n"+
		"(parley room create --confidential): its lines leave parley by email only encrypted; carol, who\n"+
		"has no key, gets a notice with the link instead (a text message would be that notice too).\n", k.Fingerprint)
	start := time.Now()
	if _, err := d.st.Chat.Post(ctx, threads.NewLine{Room: demoBoard, Author: "alice", Text: "The launch budget is 40k; keep it in this room.",
		Origin: threads.FromWeb}); err != nil {
		return err
	}
	body, err := d.waitEncrypted(ctx, "bob@example.org", start)
	if err != nil {
		return err
	}
	inner, err := openAsBob(body, bobKey)
	if err != nil {
		return fmt.Errorf("bob's client cannot open the email: %w", err)
	}
	d.printf("\nBob's mail client decrypts it; parley's signature checks against the key in its Autocrypt header;\n" +
		"the subject is inside, the outside says only \"[parley] message\":\n")
	for _, l := range strings.Split(inner, "\n") {
		if strings.HasPrefix(l, "Subject:") || strings.HasPrefix(l, "Alice Archer (") {
			d.printf("    | %s\n", clean(strings.TrimRight(l, "\r"), false))
		}
	}
	return nil
}

// waitEncrypted waits for the first encrypted email to addr kept in the
// outbox after since, and returns it.
func (d *demo) waitEncrypted(ctx context.Context, addr string, since time.Time) (string, error) {
	deadline := time.Now().Add(demoWindow + 15*time.Second)
	after := fmt.Sprintf("%d-0", since.UnixMilli())
	for time.Now().Before(deadline) {
		entries, err := d.st.Queue.Outbox(ctx, after, 100)
		if err != nil {
			return "", err
		}
		for _, e := range entries {
			if e.To == addr && strings.Contains(e.Body, "multipart/encrypted") {
				// Let the outbox follower print it first.
				select {
				case <-ctx.Done():
					return "", ctx.Err()
				case <-time.After(2 * outboxPoll):
				}
				return e.Body, nil
			}
		}
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-time.After(outboxPoll):
		}
	}
	return "", errors.New("no encrypted email to bob within the batch window")
}

// openAsBob decrypts an email with bob's key pair, as his client would,
// and checks parley's signature against the key in its Autocrypt header.
func openAsBob(body string, key *openpgp.Entity) (string, error) {
	m, err := mail.ReadMessage(strings.NewReader(body))
	if err != nil {
		return "", err
	}
	ac, err := pgp.ParseAutocrypt(m.Header.Get("Autocrypt"))
	if err != nil {
		return "", err
	}
	parley, err := openpgp.ReadKeyRing(bytes.NewReader(ac.KeyData))
	if err != nil {
		return "", err
	}
	start := strings.Index(body, "-----BEGIN PGP MESSAGE-----")
	if start < 0 {
		return "", errors.New("not encrypted")
	}
	block, err := armor.Decode(strings.NewReader(body[start:]))
	if err != nil {
		return "", err
	}
	md, err := openpgp.ReadMessage(block.Body, append(openpgp.EntityList{key}, parley...), nil, nil)
	if err != nil {
		return "", err
	}
	plain, err := io.ReadAll(md.UnverifiedBody)
	if err != nil {
		return "", err
	}
	if md.SignedBy == nil || md.SignatureError != nil {
		return "", fmt.Errorf("parley's signature does not check: %v", md.SignatureError)
	}
	return strings.ReplaceAll(string(plain), "=\r\n", ""), nil
}
