package web

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"

	"parley/internal/pgp"
	"parley/threads"
)

// The Encryption section of the profile page (issue 19): the member's
// OpenPGP public key, which they upload as a file or paste, or remove;
// and parley's own key to import into their mail client. The forms work
// without the page script; the API is /api/me/key (api_key.go).

// keySection is what the Encryption section of me.html shows.
type keySection struct {
	// Key is the member's key; nil when none is set.
	Key *keyView
	// Groups is Key's fingerprint in groups of four.
	Groups []string
	// Refused says why the key just sent was refused ("" when none was):
	// private, too_large, revoked, expired, empty or bad.
	Refused string
	// Detail is what the key reader said of a "bad" key.
	Detail string
	// Done is what the last form did: set or removed.
	Done string
	// Server is parley's key and ServerGroups its fingerprint in fours;
	// nil without PARLEY_SECRET.
	Server       *pgp.PublicKey
	ServerGroups []string
}

// fingerprintGroups splits a fingerprint into groups of four, as GnuPG
// and Thunderbird show it.
func fingerprintGroups(fp string) []string {
	var out []string
	for len(fp) > 4 {
		out = append(out, fp[:4])
		fp = fp[4:]
	}
	if fp != "" {
		out = append(out, fp)
	}
	return out
}

// keySectionFor reads member u's key for the profile page.
func (h *handler) keySectionFor(r *http.Request, u threads.User) (keySection, error) {
	s := keySection{Server: h.serverKey(r.Context()), Done: r.URL.Query().Get("key")}
	if s.Server != nil {
		s.ServerGroups = fingerprintGroups(s.Server.Fingerprint)
	}
	k, err := h.store.Directory.MemberKey(r.Context(), u.ID)
	if errors.Is(err, threads.ErrNotFound) {
		return s, nil
	}
	if err != nil {
		return s, err
	}
	v := viewKey(k, u.Emails, h.opts.Now())
	s.Key, s.Groups = &v, fingerprintGroups(v.Fingerprint)
	return s, nil
}

// keyRefusal names why ParsePublicKey refused a key, for the page's texts.
func keyRefusal(err error) string {
	switch {
	case errors.Is(err, pgp.ErrPrivateKey):
		return "private"
	case errors.Is(err, pgp.ErrKeyTooLarge):
		return "too_large"
	case errors.Is(err, pgp.ErrKeyRevoked):
		return "revoked"
	case errors.Is(err, pgp.ErrNoEncryptionKey):
		return "expired"
	}
	return "bad"
}

// sentKey is the key the form carries: the file chosen, or else the text
// pasted. At most pgp.MaxKeyBytes+1 bytes are read, so that a larger one
// is refused as too large.
func sentKey(r *http.Request) ([]byte, error) {
	f, hdr, err := r.FormFile("keyfile")
	if err == nil {
		defer f.Close()
		if hdr.Size > 0 {
			data, err := io.ReadAll(io.LimitReader(f, pgp.MaxKeyBytes+1))
			if err != nil {
				return nil, errf(http.StatusBadRequest, "bad_form", "the key file could not be read")
			}
			return data, nil
		}
	} else if !errors.Is(err, http.ErrMissingFile) && !errors.Is(err, http.ErrNotMultipart) {
		return nil, errf(http.StatusBadRequest, "bad_form", "the key file could not be read")
	}
	text := r.PostFormValue("key")
	if len(text) > pgp.MaxKeyBytes {
		text = text[:pgp.MaxKeyBytes+1]
	}
	return []byte(text), nil
}

// keyForm is the section's upload: the file or the pasted text becomes the
// member's key (threads.KeyFromMember), replacing any other. A refused key
// is neither kept nor logged (it may be a private key), and the page says
// why.
func (h *handler) keyForm(w http.ResponseWriter, r *http.Request, me *who) error {
	data, err := sentKey(r)
	if err != nil {
		return err
	}
	var refused *keyRefusedError
	if _, err := h.setKey(r.Context(), me, data); errors.As(err, &refused) {
		return h.keyRefused(w, r, me, refused)
	} else if err != nil {
		return err
	}
	http.Redirect(w, r, "/me?key=set#encryption", http.StatusSeeOther)
	return nil
}

// keyRefusedError is a key setKey refused: Why names the reason (private,
// too_large, revoked, expired, empty or bad) and Err is what the key
// reader said (nil for empty).
type keyRefusedError struct {
	Why string
	Err error
}

func (e *keyRefusedError) Error() string {
	if e.Err == nil {
		return "no key was sent"
	}
	return e.Err.Error()
}

// status is the HTTP status of the refusal: 413 for a key too large, else 400.
func (e *keyRefusedError) status() int {
	if e.Why == "too_large" {
		return http.StatusRequestEntityTooLarge
	}
	return http.StatusBadRequest
}

// setKey makes data, an armored or binary public key, the member's key
// (threads.KeyFromMember), replacing any other: the one path of the page's
// form and PUT /api/me/key. A refused key (a *keyRefusedError) is neither
// kept nor logged: it may be a private key.
func (h *handler) setKey(ctx context.Context, me *who, data []byte) (threads.MemberKey, error) {
	now := h.opts.Now()
	var key *pgp.PublicKey
	var refused *keyRefusedError
	if strings.TrimSpace(string(data)) == "" {
		refused = &keyRefusedError{Why: "empty"}
	} else if k, err := pgp.ParsePublicKey(data, now); err != nil {
		refused = &keyRefusedError{Why: keyRefusal(err), Err: err}
	} else {
		key = k
	}
	if refused != nil {
		h.log.Info("key refused", "member", me.user.ID, "why", refused.Why)
		return threads.MemberKey{}, refused
	}
	mk := threads.MemberKey{Key: key.Bytes, Fingerprint: key.Fingerprint, Source: threads.KeyFromMember, Updated: now}
	if err := h.store.Directory.SetMemberKey(ctx, me.user.ID, mk); err != nil {
		return mk, err
	}
	h.log.Info("key set", "member", me.user.ID, "fingerprint", key.Fingerprint)
	return mk, nil
}

// keyRefused shows the profile again with why the key was refused: 413
// for one too large, else 400. Nothing of what was sent is shown again.
func (h *handler) keyRefused(w http.ResponseWriter, r *http.Request, me *who, refused *keyRefusedError) error {
	u, uerr := h.store.Directory.User(r.Context(), me.user.ID)
	if uerr != nil {
		return uerr
	}
	v, verr := h.profileView(r, me, u)
	if verr != nil {
		return verr
	}
	d := v.Data.(profileData)
	d.Key.Refused, d.Key.Done = refused.Why, ""
	if refused.Why == "bad" {
		d.Key.Detail = refused.Error()
	}
	v.Data = d
	h.render(w, r, refused.status(), "me.html", v)
	return nil
}

// keyRemoveForm is the section's "Remove my key": mail to the member goes
// unencrypted again.
func (h *handler) keyRemoveForm(w http.ResponseWriter, r *http.Request, me *who) error {
	if _, err := h.store.Directory.RemoveMemberKey(r.Context(), me.user.ID); err != nil {
		return err
	}
	h.log.Info("key removed", "member", me.user.ID)
	http.Redirect(w, r, "/me?key=removed#encryption", http.StatusSeeOther)
	return nil
}

// hasUsableKey reports whether member id has a key parley can encrypt to
// now.
func (h *handler) hasUsableKey(ctx context.Context, id string) (bool, error) {
	k, err := h.store.Directory.MemberKey(ctx, id)
	if errors.Is(err, threads.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	_, err = pgp.ParsePublicKey(k.Key, h.opts.Now())
	return err == nil, nil
}
