package web

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"time"

	"parley/internal/blobs"
	"parley/internal/transcript"
	"parley/threads"
)

// httpError is an answer decided by a handler: a status, a stable code a
// program can test and a message a person can act on.
type httpError struct {
	status int
	code   string
	msg    string
	// retryAfter, when set, is sent as Retry-After.
	retryAfter time.Duration
}

func (e *httpError) Error() string { return e.msg }

// errf makes an httpError.
func errf(status int, code, format string, args ...any) error {
	return &httpError{status: status, code: code, msg: fmt.Sprintf(format, args...)}
}

// Errors handlers return often.
var (
	errNoRoom = errf(http.StatusNotFound, "not_found", "no such room, or you are not a member of it")
	errAuth   = errf(http.StatusUnauthorized, "unauthenticated", "sign in, or send an API token as Authorization: Bearer TOKEN")
	errCSRF   = errf(http.StatusForbidden, "csrf", "the form is stale or was not sent from parley's page; reload the page and try again")
)

// classify is the one place that turns an error into a status, a code and
// a message. Internal detail never reaches the client: unexpected errors
// are logged by the caller and answered with a generic text.
func classify(err error) *httpError {
	var he *httpError
	var mbe *http.MaxBytesError
	var ne net.Error
	var tm *threads.TooManyCodesError
	switch {
	case errors.As(err, &he):
		return he
	case errors.As(err, &mbe), errors.Is(err, blobs.ErrTooLarge):
		return &httpError{status: http.StatusRequestEntityTooLarge, code: "too_large", msg: "the request body is too large"}
	case errors.As(err, &tm):
		return &httpError{status: http.StatusTooManyRequests, code: "rate_limited", msg: "too many codes asked for: " + tm.Error(), retryAfter: tm.Wait}
	case errors.Is(err, threads.ErrCodeWrong):
		return &httpError{status: http.StatusBadRequest, code: "wrong_code", msg: err.Error()}
	case errors.Is(err, threads.ErrCodeExpired):
		return &httpError{status: http.StatusBadRequest, code: "code_expired", msg: err.Error()}
	case errors.Is(err, threads.ErrNoCode):
		return &httpError{status: http.StatusBadRequest, code: "no_code", msg: err.Error()}
	case errors.Is(err, threads.ErrCodeBurned):
		return &httpError{status: http.StatusTooManyRequests, code: "too_many_tries", msg: err.Error()}
	case errors.Is(err, threads.ErrNoPhone):
		return &httpError{status: http.StatusConflict, code: "no_phone", msg: err.Error()}
	case errors.Is(err, threads.ErrPhoneVerified):
		return &httpError{status: http.StatusConflict, code: "already_verified", msg: err.Error()}
	case errors.Is(err, threads.ErrInvalid):
		return &httpError{status: http.StatusBadRequest, code: "invalid", msg: err.Error()}
	case errors.Is(err, threads.ErrNotFound):
		return &httpError{status: http.StatusNotFound, code: "not_found", msg: err.Error()}
	case errors.Is(err, threads.ErrNotMember):
		return &httpError{status: http.StatusNotFound, code: "not_member", msg: err.Error()}
	case errors.Is(err, threads.ErrInUse):
		return &httpError{status: http.StatusConflict, code: "in_use", msg: err.Error()}
	case errors.Is(err, transcript.ErrInvalid):
		return &httpError{status: http.StatusBadRequest, code: "invalid", msg: err.Error()}
	case errors.Is(err, threads.ErrExists):
		return &httpError{status: http.StatusConflict, code: "exists", msg: err.Error()}
	case errors.Is(err, threads.ErrBadCredential):
		return errAuth.(*httpError)
	case errors.Is(err, threads.ErrDisabled):
		return &httpError{status: http.StatusForbidden, code: "disabled", msg: "this account is disabled"}
	case errors.As(err, &ne), errors.Is(err, context.DeadlineExceeded):
		return &httpError{status: http.StatusServiceUnavailable, code: "unavailable", msg: "parley cannot reach its store just now; try again in a minute"}
	}
	return &httpError{status: http.StatusInternalServerError, code: "internal", msg: "internal error; try again later"}
}

// fail answers a JSON API request with err.
func (h *handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	if r.Context().Err() != nil {
		return // the client went away
	}
	he := classify(err)
	if he.status >= 500 {
		h.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	if he.retryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int((he.retryAfter+time.Second-1)/time.Second)))
	}
	writeJSON(w, he.status, apiError{Error: he.msg, Code: he.code})
}

// notFoundAsJSON answers requests no route takes with JSON under /api/
// (404, or 405 with Allow when another method would match), elsewhere with
// parley's own page, and leaves the rest to mux.
func (h *handler) notFoundAsJSON(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, pattern := mux.Handler(r); pattern != "" {
			mux.ServeHTTP(w, r)
			return
		}
		var allow []string
		for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete} {
			probe := r.Clone(r.Context())
			probe.Method = m
			if _, p := mux.Handler(probe); p != "" {
				allow = append(allow, m)
			}
		}
		if !isAPI(r) && len(allow) > 0 {
			mux.ServeHTTP(w, r) // 405 with Allow
			return
		}
		if !isAPI(r) {
			h.notFoundPage(w, r)
			return
		}
		if len(allow) == 0 {
			writeJSON(w, http.StatusNotFound, apiError{Error: "no such endpoint: " + r.URL.Path, Code: "not_found"})
			return
		}
		for _, m := range allow {
			w.Header().Add("Allow", m)
		}
		writeJSON(w, http.StatusMethodNotAllowed, apiError{Error: r.Method + " is not allowed here", Code: "method_not_allowed"})
	})
}

func isAPI(r *http.Request) bool {
	return len(r.URL.Path) >= 5 && r.URL.Path[:5] == "/api/"
}
