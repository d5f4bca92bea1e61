package web

import (
	"net/http"
	"time"
)

// Finding the way: parley's own "not found" page, and sign-in that returns
// to the page that sent the browser there.

// nextCookie remembers, while a browser signs in, the page it came from.
const nextCookie = "parley_next"

// notFoundPage answers a page address no route takes, with the header of a
// signed-in member and a way back (error.html).
func (h *handler) notFoundPage(w http.ResponseWriter, r *http.Request) {
	err := errf(http.StatusNotFound, "not_found", "There is no page at %s.", r.URL.Path)
	me, _ := h.identify(r)
	if me != nil && me.session == nil {
		me = nil // an API token: the page is for browsers
	}
	h.pageFail(w, r, me, err)
}

// rememberNext keeps ?next= (a local path) for after the sign-in, for as
// long as a sign-in link lives.
func (h *handler) rememberNext(w http.ResponseWriter, r *http.Request) {
	if next := r.URL.Query().Get("next"); localPath(next) {
		h.setCookie(w, nextCookie, next, int((15 * time.Minute).Seconds()))
	}
}

// takeNext returns where a browser just signed in goes: the page it came
// from, or its rooms.
func (h *handler) takeNext(w http.ResponseWriter, r *http.Request) string {
	c, err := r.Cookie(nextCookie)
	if err != nil {
		return "/"
	}
	h.setCookie(w, nextCookie, "", -1)
	if localPath(c.Value) {
		return c.Value
	}
	return "/"
}
