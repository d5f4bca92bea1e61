package web

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"time"

	"parley/internal/pgp"
	"parley/threads"
)

// keyRoutes mount the member's own OpenPGP public key (issue 19): with a
// key set, every email parley sends them is encrypted to it.
func (h *handler) keyRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /api/me/key", h.api(h.showMyKey))
	mux.HandleFunc("PUT /api/me/key", h.api(h.setMyKey))
	mux.HandleFunc("DELETE /api/me/key", h.api(h.removeMyKey))
	mux.HandleFunc("GET /api/key", h.serverKeyJSON)
	mux.HandleFunc("GET /parley.asc", h.serverKeyFile)
	mux.HandleFunc("PUT /api/admin/rooms/{id}/confidential", h.admin(h.adminSetConfidential))
}

// keyView is a member's key as the API shows it.
type keyView struct {
	Fingerprint string    `json:"fingerprint"`
	Source      string    `json:"source"`
	Updated     time.Time `json:"updated"`
	Addresses   []string  `json:"addresses"`
	// Yours is whether one of Addresses is one of the member's: a key that
	// names none is kept (mail goes to the member, not to the addresses in
	// it), with this false so the page can warn.
	Yours bool `json:"yours"`
	// Created is when the key was made; Expires when it stops being
	// usable (absent: never).
	Created *time.Time `json:"created,omitempty"`
	Expires *time.Time `json:"expires,omitempty"`
	// Usable is false when the key has expired or was revoked: mail then
	// goes unencrypted until a new key is set.
	Usable  bool   `json:"usable"`
	Problem string `json:"problem,omitempty"`
	Armored string `json:"armored,omitempty"`
}

// viewKey shows k, the key of the member with the addresses emails.
func viewKey(k threads.MemberKey, emails []string, now time.Time) keyView {
	v := keyView{Fingerprint: k.Fingerprint, Source: k.Source, Updated: k.Updated, Addresses: []string{}}
	key, err := pgp.ParsePublicKey(k.Key, now)
	if err != nil {
		v.Problem = err.Error()
		return v
	}
	v.Usable, v.Addresses, v.Armored = true, key.Addresses(), key.Armored()
	v.Yours = keyIsYours(v.Addresses, emails)
	created := key.Created()
	v.Created = &created
	if t := key.Expires(); !t.IsZero() {
		v.Expires = &t
	}
	return v
}

// keyIsYours is the one rule for a key's addresses: it is the member's
// when one of its addresses is one of theirs (case aside). A key that is
// not is still accepted, by the API, the page and the CLI alike: parley
// encrypts to the member, whatever the key's user IDs say.
func keyIsYours(keyAddrs, emails []string) bool {
	for _, a := range keyAddrs {
		for _, e := range emails {
			if strings.EqualFold(a, e) {
				return true
			}
		}
	}
	return false
}

func (h *handler) showMyKey(w http.ResponseWriter, r *http.Request, me *who) error {
	k, err := h.store.Directory.MemberKey(r.Context(), me.user.ID)
	if errors.Is(err, threads.ErrNotFound) {
		return errf(http.StatusNotFound, "no_key", "you have no OpenPGP key set; PUT /api/me/key with {\"key\": \"-----BEGIN PGP PUBLIC KEY BLOCK-----...\"}")
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, viewKey(k, me.user.Emails, h.opts.Now()))
	return nil
}

// keyBody is the body of PUT /api/me/key.
type keyBody struct {
	// Key is the public key, ASCII-armored (gpg --export --armor ADDRESS).
	Key string `json:"key"`
}

func (h *handler) setMyKey(w http.ResponseWriter, r *http.Request, me *who) error {
	var b keyBody
	if err := decodeJSON(w, r, &b); err != nil {
		return err
	}
	mk, err := h.setKey(r.Context(), me, []byte(b.Key))
	var refused *keyRefusedError
	if errors.As(err, &refused) {
		return errf(refused.status(), "bad_key", "%v", refused)
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, viewKey(mk, me.user.Emails, h.opts.Now()))
	return nil
}

func (h *handler) removeMyKey(w http.ResponseWriter, r *http.Request, me *who) error {
	ok, err := h.store.Directory.RemoveMemberKey(r.Context(), me.user.ID)
	if err != nil {
		return err
	}
	if !ok {
		return errf(http.StatusNotFound, "no_key", "you have no OpenPGP key set")
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// serverKeyView is parley's own public key as GET /api/key shows it.
type serverKeyView struct {
	Fingerprint string `json:"fingerprint"`
	Armored     string `json:"armored"`
}

// serverKeyMaxAge is how long a fetched copy of parley's public key may be
// reused: it changes only if its store is lost.
const serverKeyMaxAge = "public, max-age=3600"

// serverKey is parley's public key, or nil when it has none; a key that
// cannot be read is logged and shown as none.
func (h *handler) serverKey(ctx context.Context) *pgp.PublicKey {
	if h.opts.ServerKey == nil {
		return nil
	}
	k, err := h.opts.ServerKey(ctx)
	if err != nil {
		h.log.Warn("parley's OpenPGP key", "err", err)
		return nil
	}
	return k
}

// serverKeyJSON answers GET /api/key: parley's public key, for a member's
// client to encrypt replies to. It is public (no sign-in); 404 when parley
// has no key (no PARLEY_SECRET).
func (h *handler) serverKeyJSON(w http.ResponseWriter, r *http.Request) {
	if err := h.limit(clientKey(r)); err != nil {
		h.fail(w, r, err)
		return
	}
	k := h.serverKey(r.Context())
	if k == nil {
		h.fail(w, r, errf(http.StatusNotFound, "no_key", "parley has no OpenPGP key (PARLEY_SECRET is not set)"))
		return
	}
	w.Header().Set("Cache-Control", serverKeyMaxAge)
	writeJSON(w, http.StatusOK, serverKeyView{Fingerprint: k.Fingerprint, Armored: k.Armored()})
}

// serverKeyFile answers GET /parley.asc: parley's public key, armored, to
// import into a mail client (Thunderbird: File, Open, or drop it in).
func (h *handler) serverKeyFile(w http.ResponseWriter, r *http.Request) {
	if err := h.limit(clientKey(r)); err != nil {
		h.fail(w, r, err)
		return
	}
	k := h.serverKey(r.Context())
	if k == nil {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "application/pgp-keys")
	w.Header().Set("Content-Disposition", `attachment; filename="parley.asc"`)
	w.Header().Set("Cache-Control", serverKeyMaxAge)
	_, _ = io.WriteString(w, k.Armored())
}

// confidentialBody is the body of PUT /api/admin/rooms/{id}/confidential.
type confidentialBody struct {
	Confidential *bool `json:"confidential"`
}

// adminSetConfidential makes a room confidential or ordinary again
// (threads.Room.Confidential): admins only.
func (h *handler) adminSetConfidential(w http.ResponseWriter, r *http.Request, me *who) error {
	var b confidentialBody
	if err := decodeJSON(w, r, &b); err != nil {
		return err
	}
	if b.Confidential == nil {
		return errf(http.StatusBadRequest, "invalid", "give {\"confidential\": true} or false")
	}
	id := r.PathValue("id")
	if err := h.store.Chat.SetConfidential(r.Context(), id, *b.Confidential); err != nil {
		return err
	}
	detail := "off"
	if *b.Confidential {
		detail = "on"
	}
	if err := h.store.Directory.Audit(r.Context(), threads.AuditEntry{Actor: me.user.ID, Action: "room.confidential", Target: id, Detail: detail}); err != nil {
		return err
	}
	room, err := h.store.Chat.Room(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, room)
	return nil
}
