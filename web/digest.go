package web

import (
	"errors"
	"net/http"

	"parley/threads"
)

// digestUnsubscribePage shows a button that turns digests off: a GET
// never changes anything (mail scanners follow links).
func (h *handler) digestUnsubscribePage(w http.ResponseWriter, r *http.Request) {
	if _, ok := h.resolveDigest(w, r); !ok {
		return
	}
	h.html(w, http.StatusOK, page{Title: "Stop digest emails?", Room: "parley digests", Form: true,
		Text: "You will still get the rooms' emails when you are away, and can turn digests on again in your settings."})
}

// digestUnsubscribe turns the member's digests off: RFC 8058 one-click (a
// POST with List-Unsubscribe=One-Click) or the page's button.
func (h *handler) digestUnsubscribe(w http.ResponseWriter, r *http.Request) {
	if !readOneClickForm(w, r) {
		return
	}
	member, ok := h.resolveDigest(w, r)
	if !ok {
		return
	}
	_, err := h.store.Directory.UpdateUser(r.Context(), member, func(u *threads.User) error {
		u.Prefs.Digest = threads.DigestOff
		return nil
	})
	switch {
	case errors.Is(err, threads.ErrNotFound):
		// The member is gone: nothing more will come.
	case err != nil:
		h.log.Error("digest unsubscribe", "member", member, "err", err)
		h.html(w, http.StatusServiceUnavailable, page{Title: "Try again", Text: "parley cannot reach its store just now. Please try again in a minute."})
		return
	}
	h.log.Info("digest turned off", "member", member)
	h.html(w, http.StatusOK, page{Title: "Done", Text: "No more digest emails. You will still get the rooms' emails when you are away."})
}

func (h *handler) resolveDigest(w http.ResponseWriter, r *http.Request) (string, bool) {
	member, err := h.store.Auth.ResolveDigestUnsubscribeToken(r.Context(), r.PathValue("token"))
	if errors.Is(err, threads.ErrBadToken) {
		h.html(w, http.StatusNotFound, page{Title: "Unknown link", Text: "This unsubscribe link is not valid. Use the link of a recent digest."})
		return "", false
	}
	if err != nil {
		h.log.Error("digest unsubscribe", "err", err)
		h.html(w, http.StatusServiceUnavailable, page{Title: "Try again", Text: "parley cannot reach its store just now. Please try again in a minute."})
		return "", false
	}
	return member, true
}
