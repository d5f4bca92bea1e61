package web

import (
	"context"
	"errors"
	"net/http"
	"strings"
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
	// Phone is set on the form that asks for a texted code.
	Phone string
}

// signinPage asks for an email address.
func (h *handler) signinPage(w http.ResponseWriter, r *http.Request) {
	h.rememberNext(w, r)
	h.render(w, r, http.StatusOK, "signin.html", view{Title: "Sign in", CSRF: h.preToken(w, r)})
}

// signinForm reads a form posted by a sign-in page and makes the checks
// both steps share (size, origin, rate). When one fails it answers the page
// and returns false.
func (h *handler) signinForm(w http.ResponseWriter, r *http.Request) bool {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		h.pageFail(w, r, nil, errf(http.StatusBadRequest, "bad_form", "the form could not be read"))
		return false
	}
	if err := checkPre(r); err != nil {
		h.pageFail(w, r, nil, err)
		return false
	}
	if err := h.limit(clientKey(r)); err != nil {
		h.pageFail(w, r, nil, err)
		return false
	}
	return true
}

// signinRequest sends a one-time link to the member who owns the address,
// or a code by text to the member whose verified number it is.
// The answer is the same, and as quick, whether or not the address belongs
// to anyone: the link is made and queued after the answer, so neither the
// page nor its timing tells who has an account.
func (h *handler) signinRequest(w http.ResponseWriter, r *http.Request) {
	if !h.signinForm(w, r) {
		return
	}
	if phone, ok := phoneNumber(r.PostFormValue("email")); ok {
		h.signinCodeRequest(w, r, phone)
		return
	}
	addr, err := threads.NormalizeEmail(r.PostFormValue("email"))
	if err != nil {
		h.render(w, r, http.StatusBadRequest, "signin.html", view{Title: "Sign in", CSRF: h.preToken(w, r),
			Error: "That is not an email address like bob@example.org, nor a phone number like +15550001111.", Data: signinData{Email: r.PostFormValue("email")}})
		return
	}
	go h.sendSignInLink(context.WithoutCancel(r.Context()), addr)
	h.render(w, r, http.StatusOK, "signin.html", view{Title: "Check your email", CSRF: h.preToken(w, r),
		Data: signinData{Email: addr, Sent: true}})
}

// sendSignInLink queues a sign-in link for the member who owns addr, if
// any and not disabled, within their rate limit, and logs what happened.
func (h *handler) sendSignInLink(ctx context.Context, addr string) {
	ctx, cancel := context.WithTimeout(ctx, signinSendTimeout)
	defer cancel()
	u, queued, err := QueueSignInLink(ctx, h.store.Directory, h.store.Auth, h.store.Queue, h.opts.PublicURL, addr)
	switch {
	case errors.Is(err, threads.ErrNotFound):
		h.log.Info("sign-in asked for an unknown address")
	case errors.Is(err, threads.ErrDisabled):
		h.log.Info("sign-in asked for a disabled member", "member", u.ID)
	case err != nil:
		h.log.Error("sign-in link", "err", err)
	case !queued:
		h.log.Warn("sign-in link not sent: too many asked for this hour", "member", u.ID)
	default:
		h.log.Info("sign-in link queued", "member", u.ID)
	}
}

// QueueSignInLink makes a one-time sign-in link (publicURL/signin/TOKEN)
// for the member who owns addr and queues it as a notice to that address;
// the delivery worker sends it (or keeps it in the outbox). It reports
// false when the address had its share of links this hour (the token is
// then forgotten); threads.ErrNotFound when no member owns the address,
// threads.ErrDisabled for a disabled member. The directory finds the
// member, auth makes the token and the queue takes the notice.
func QueueSignInLink(ctx context.Context, dir *threads.Directory, auth *threads.Auth, queue *threads.Queue, publicURL, addr string) (threads.User, bool, error) {
	u, err := dir.UserByEmail(ctx, addr)
	if err != nil {
		return u, false, err
	}
	tok, err := auth.NewSignInToken(ctx, u.ID)
	if err != nil {
		return u, false, err
	}
	queued, err := queue.QueueNotice(ctx, threads.Notice{To: addr, Kind: threads.NoticeSignIn, Name: u.Name,
		Title: "Your parley sign-in link", Link: strings.TrimRight(publicURL, "/") + "/signin/" + tok})
	if err != nil || !queued {
		_ = auth.DropSignInToken(ctx, tok)
	}
	return u, queued, err
}

// signinConfirm shows a button that signs in. Opening the link changes
// nothing: mail scanners follow links, and must not use them up.
func (h *handler) signinConfirm(w http.ResponseWriter, r *http.Request) {
	h.render(w, r, http.StatusOK, "signin.html", view{Title: "Sign in", CSRF: h.preToken(w, r),
		Data: signinData{Token: r.PathValue("token")}})
}

// signinConsume uses the link: a new session, its cookie, and the rooms.
func (h *handler) signinConsume(w http.ResponseWriter, r *http.Request) {
	if !h.signinForm(w, r) {
		return
	}
	u, err := h.store.Auth.ConsumeSignInToken(r.Context(), r.PathValue("token"))
	if errors.Is(err, threads.ErrBadCredential) {
		h.render(w, r, http.StatusBadRequest, "signin.html", view{Title: "Sign in", CSRF: h.preToken(w, r),
			Error: "This sign-in link was used already or is more than 15 minutes old. Ask for a new one below."})
		return
	}
	if err != nil {
		h.pageFail(w, r, nil, err)
		return
	}
	h.startSession(w, r, u)
}

// startSession signs u in: a new session, its cookie, an audit entry, and
// a redirect to the page that sent the browser to sign in.
func (h *handler) startSession(w http.ResponseWriter, r *http.Request, u threads.User) {
	tok, se, err := h.store.Auth.NewSession(r.Context(), u.ID)
	if err != nil {
		h.pageFail(w, r, nil, err)
		return
	}
	h.setCookie(w, sessionCookie, tok, int(se.Expires.Sub(se.Created)/time.Second))
	h.setCookie(w, preCookie, "", -1)
	h.log.Info("signed in", "member", u.ID)
	if err := h.store.Directory.Audit(r.Context(), threads.AuditEntry{Actor: u.ID, Action: "signin", Target: u.ID}); err != nil {
		// The member is in; a sign-in the log missed is reported, not refused.
		h.log.Error("audit sign-in", "member", u.ID, "err", err)
	}
	http.Redirect(w, r, h.takeNext(w, r), http.StatusSeeOther)
}

// signout ends the session.
func (h *handler) signout(w http.ResponseWriter, r *http.Request, me *who) error {
	if err := h.store.Auth.EndSession(r.Context(), me.sessionTok); err != nil {
		return err
	}
	h.setCookie(w, sessionCookie, "", -1)
	h.log.Info("signed out", "member", me.user.ID)
	http.Redirect(w, r, "/signin", http.StatusSeeOther)
	return nil
}
