package web

import (
	"context"
	"errors"
	"net/http"
	"time"

	"parley/threads"
)

// signinSendTimeout bounds the work of sending one sign-in link.
const signinSendTimeout = 10 * time.Second

// signinData is what signin.html shows.
type signinData struct {
	Email string
	Sent  bool
	Token string // on the confirmation page
}

// signinPage asks for an email address.
func (h *handler) signinPage(w http.ResponseWriter, r *http.Request) {
	h.render(w, r, http.StatusOK, "signin.html", view{Title: "Sign in", CSRF: h.preToken(w, r)})
}

// signinRequest sends a one-time link to the member who owns the address.
// The answer is the same, and as quick, whether or not the address belongs
// to anyone: the link is made and queued after the answer, so neither the
// page nor its timing tells who has an account.
func (h *handler) signinRequest(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		h.pageFail(w, r, nil, errf(http.StatusBadRequest, "bad_form", "the form could not be read"))
		return
	}
	if err := checkPre(r); err != nil {
		h.pageFail(w, r, nil, err)
		return
	}
	if err := h.limit(clientKey(r)); err != nil {
		h.pageFail(w, r, nil, err)
		return
	}
	addr, err := threads.NormalizeEmail(r.PostFormValue("email"))
	if err != nil {
		h.render(w, r, http.StatusBadRequest, "signin.html", view{Title: "Sign in", CSRF: h.preToken(w, r),
			Error: "That is not an email address like bob@example.org.", Data: signinData{Email: r.PostFormValue("email")}})
		return
	}
	go h.sendSignInLink(context.WithoutCancel(r.Context()), addr)
	h.render(w, r, http.StatusOK, "signin.html", view{Title: "Check your email", CSRF: h.preToken(w, r),
		Data: signinData{Email: addr, Sent: true}})
}

// sendSignInLink queues a sign-in link for the member who owns addr, if
// any and not disabled, within their rate limit.
func (h *handler) sendSignInLink(ctx context.Context, addr string) {
	ctx, cancel := context.WithTimeout(ctx, signinSendTimeout)
	defer cancel()
	u, err := h.store.UserByEmail(ctx, addr)
	if errors.Is(err, threads.ErrNotFound) {
		h.log.Info("sign-in asked for an unknown address")
		return
	}
	if err != nil {
		h.log.Error("sign-in link", "err", err)
		return
	}
	if u.Disabled {
		h.log.Info("sign-in asked for a disabled member", "member", u.ID)
		return
	}
	tok, err := h.store.NewSignInToken(ctx, u.ID)
	if err != nil {
		h.log.Error("sign-in link", "member", u.ID, "err", err)
		return
	}
	queued, err := h.store.QueueNotice(ctx, threads.Notice{To: addr, Kind: threads.NoticeSignIn, Name: u.Name,
		Title: "Your parley sign-in link", Link: h.opts.PublicURL + "/signin/" + tok})
	if err != nil || !queued {
		_ = h.store.DropSignInToken(ctx, tok)
	}
	switch {
	case err != nil:
		h.log.Error("sign-in link", "member", u.ID, "err", err)
	case !queued:
		h.log.Warn("sign-in link not sent: too many asked for this hour", "member", u.ID)
	default:
		h.log.Info("sign-in link queued", "member", u.ID)
	}
}

// signinConfirm shows a button that signs in. Opening the link changes
// nothing: mail scanners follow links, and must not use them up.
func (h *handler) signinConfirm(w http.ResponseWriter, r *http.Request) {
	h.render(w, r, http.StatusOK, "signin.html", view{Title: "Sign in", CSRF: h.preToken(w, r),
		Data: signinData{Token: r.PathValue("token")}})
}

// signinConsume uses the link: a new session, its cookie, and the rooms.
func (h *handler) signinConsume(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		h.pageFail(w, r, nil, errf(http.StatusBadRequest, "bad_form", "the form could not be read"))
		return
	}
	if err := checkPre(r); err != nil {
		h.pageFail(w, r, nil, err)
		return
	}
	if err := h.limit(clientKey(r)); err != nil {
		h.pageFail(w, r, nil, err)
		return
	}
	u, err := h.store.ConsumeSignInToken(r.Context(), r.PathValue("token"))
	if errors.Is(err, threads.ErrBadCredential) {
		h.render(w, r, http.StatusBadRequest, "signin.html", view{Title: "Sign in", CSRF: h.preToken(w, r),
			Error: "This sign-in link was used already or is more than 15 minutes old. Ask for a new one below."})
		return
	}
	if err != nil {
		h.pageFail(w, r, nil, err)
		return
	}
	tok, se, err := h.store.NewSession(r.Context(), u.ID)
	if err != nil {
		h.pageFail(w, r, nil, err)
		return
	}
	h.setCookie(w, sessionCookie, tok, int(se.Expires.Sub(se.Created)/time.Second))
	h.setCookie(w, preCookie, "", -1)
	h.log.Info("signed in", "member", u.ID)
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// signout ends the session.
func (h *handler) signout(w http.ResponseWriter, r *http.Request, me *who) error {
	if err := h.store.EndSession(r.Context(), me.sessionTok); err != nil {
		return err
	}
	h.setCookie(w, sessionCookie, "", -1)
	h.log.Info("signed out", "member", me.user.ID)
	http.Redirect(w, r, "/signin", http.StatusSeeOther)
	return nil
}
