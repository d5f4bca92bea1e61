package web

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"mime"
	"net"
	"net/http"
	"strings"

	"parley/threads"
)

// Cookies. Both are HttpOnly and SameSite=Lax, and Secure when the public
// URL is https.
const (
	// sessionCookie holds the session secret of a signed-in browser.
	sessionCookie = "parley_session"
	// preCookie holds the CSRF token of the forms shown before sign-in
	// (double submit: the form must carry the cookie's value).
	preCookie = "parley_pre"
	// preCookieAge is how long a sign-in form stays usable (seconds).
	preCookieAge = 3600
)

// who is the member a request comes from, and how they proved it.
type who struct {
	user threads.User
	// session is set for a browser; sessionTok is its cookie value.
	session    *threads.Session
	sessionTok string
	// token is set for a request with an API token.
	token *threads.APIToken
}

// origin is the door a line posted by w comes through.
func (w *who) origin() threads.Origin {
	if w.token != nil {
		return threads.FromAPI
	}
	return threads.FromWeb
}

// identify finds who sent r: an API token in Authorization, else the
// session cookie. It returns nil and no error for a request with neither
// (or with a session that ended). A disabled member's sessions end here.
func (h *handler) identify(r *http.Request) (*who, error) {
	ctx := r.Context()
	if auth := r.Header.Get("Authorization"); auth != "" {
		secret, ok := strings.CutPrefix(auth, "Bearer ")
		if !ok {
			return nil, errAuth
		}
		t, err := h.store.Auth.APITokenOwner(ctx, strings.TrimSpace(secret))
		if err != nil {
			return nil, err
		}
		u, err := h.store.Directory.User(ctx, t.User)
		if errors.Is(err, threads.ErrNotFound) {
			return nil, errAuth
		}
		if err != nil {
			return nil, err
		}
		if u.Disabled {
			return nil, threads.ErrDisabled
		}
		if !u.Honours(t.Gen) { // made before a disable or a rotation
			return nil, errAuth
		}
		return &who{user: u, token: &t}, nil
	}
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return nil, nil
	}
	se, err := h.store.Auth.Session(ctx, c.Value)
	if errors.Is(err, threads.ErrBadCredential) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	u, err := h.store.Directory.User(ctx, se.User)
	if errors.Is(err, threads.ErrNotFound) {
		_ = h.store.Auth.EndSession(ctx, c.Value)
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if u.Disabled {
		_ = h.store.Auth.EndSession(ctx, c.Value)
		return nil, threads.ErrDisabled
	}
	if !u.Honours(se.Gen) { // started before a disable or a rotation
		_ = h.store.Auth.EndSession(ctx, c.Value)
		return nil, nil
	}
	return &who{user: u, session: &se, sessionTok: c.Value}, nil
}

// api wraps a JSON API handler: it identifies the member (401 without
// credentials), spends their request budget (429), checks the CSRF header
// of state-changing requests made with a session cookie (API tokens need
// none: a browser never sends them by itself) and answers fn's error.
func (h *handler) api(fn func(w http.ResponseWriter, r *http.Request, me *who) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		me, err := h.identify(r)
		if err == nil && me == nil {
			err = errAuth
		}
		if err == nil {
			err = h.limit("u:" + me.user.ID)
		}
		if err == nil && me.session != nil && !safeMethod(r.Method) && !sameToken(r.Header.Get("X-CSRF-Token"), me.session.CSRF) {
			err = errCSRF
		}
		if err == nil {
			err = fn(w, r, me)
		}
		if err != nil {
			h.fail(w, r, err)
		}
	}
}

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// sameToken compares a sent token with the expected one in constant time.
func sameToken(got, want string) bool {
	return got != "" && want != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// setCookie sets (or, with maxAge < 0, deletes) one of parley's cookies.
func (h *handler) setCookie(w http.ResponseWriter, name, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: value, Path: "/", MaxAge: maxAge,
		HttpOnly: true, Secure: h.secure, SameSite: http.SameSiteLaxMode})
}

// preToken returns the CSRF token of the forms shown before sign-in,
// setting its cookie when the browser has none.
func (h *handler) preToken(w http.ResponseWriter, r *http.Request) string {
	if c, err := r.Cookie(preCookie); err == nil && len(c.Value) == 43 {
		return c.Value
	}
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	tok := base64.RawURLEncoding.EncodeToString(b)
	h.setCookie(w, preCookie, tok, preCookieAge)
	return tok
}

// checkPre checks the CSRF token of a form sent before sign-in.
func checkPre(r *http.Request) error {
	c, err := r.Cookie(preCookie)
	if err != nil || !sameToken(r.PostFormValue("csrf"), c.Value) {
		return errCSRF
	}
	return nil
}

// clientKey names the sender of an anonymous request for the rate limit.
func clientKey(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	return "ip:" + host
}

// limitBody caps r's body: an upload may be a file long, anything else a form.
func (h *handler) limitBody(w http.ResponseWriter, r *http.Request) {
	limit := int64(maxFormBytes)
	if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct == "multipart/form-data" {
		limit = h.opts.MaxUploadBytes + 64<<10
	}
	r.Body = http.MaxBytesReader(w, r.Body, limit)
}
