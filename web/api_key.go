package web

import (
	"errors"
	"net/http"
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
	mux.HandleFunc("PUT /api/admin/rooms/{id}/confidential", h.admin(h.adminSetConfidential))
}

// keyView is a member's key as the API shows it.
type keyView struct {
	Fingerprint string    `json:"fingerprint"`
	Source      string    `json:"source"`
	Updated     time.Time `json:"updated"`
	Addresses   []string  `json:"addresses"`
	// Usable is false when the key has expired or was revoked: mail then
	// goes unencrypted until a new key is set.
	Usable  bool   `json:"usable"`
	Problem string `json:"problem,omitempty"`
	Armored string `json:"armored,omitempty"`
}

func viewKey(k threads.MemberKey, now time.Time) keyView {
	v := keyView{Fingerprint: k.Fingerprint, Source: k.Source, Updated: k.Updated, Addresses: []string{}}
	key, err := pgp.ParsePublicKey(k.Key, now)
	if err != nil {
		v.Problem = err.Error()
		return v
	}
	v.Usable, v.Addresses, v.Armored = true, key.Addresses(), key.Armored()
	return v
}

func (h *handler) showMyKey(w http.ResponseWriter, r *http.Request, me *who) error {
	k, err := h.store.Directory.MemberKey(r.Context(), me.user.ID)
	if errors.Is(err, threads.ErrNotFound) {
		return errf(http.StatusNotFound, "no_key", "you have no OpenPGP key set; PUT /api/me/key with {\"key\": \"-----BEGIN PGP PUBLIC KEY BLOCK-----...\"}")
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, viewKey(k, h.opts.Now()))
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
	now := h.opts.Now()
	key, err := pgp.ParsePublicKey([]byte(b.Key), now)
	if err != nil {
		return errf(http.StatusBadRequest, "bad_key", "%v", err)
	}
	mk := threads.MemberKey{Key: key.Bytes, Fingerprint: key.Fingerprint, Source: threads.KeyFromMember, Updated: now}
	if err := h.store.Directory.SetMemberKey(r.Context(), me.user.ID, mk); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, viewKey(mk, now))
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
