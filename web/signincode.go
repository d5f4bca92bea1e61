package web

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"parley/threads"
)

// Sign-in by a code texted to a member who has a verified phone and no
// email (or who prefers it): the sign-in page takes a number as well as an
// address, and answers with a form for the code.

// phoneNumber reads a phone number as people type it ("+1 555 000-1111",
// "+1 (555) 000 1111") into E.164. It reports false for anything that is
// not one (an email address, text).
func phoneNumber(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if !strings.HasPrefix(s, "+") || len(s) > 32 {
		return "", false
	}
	var b strings.Builder
	b.WriteByte('+')
	for _, c := range s[1:] {
		switch {
		case c >= '0' && c <= '9':
			b.WriteRune(c)
		case c == ' ' || c == '-' || c == '(' || c == ')' || c == '.':
		default:
			return "", false
		}
	}
	if threads.ValidPhone(b.String()) != nil {
		return "", false
	}
	return b.String(), true
}

// signinCodeRequest answers a sign-in asked for by number with the form
// for the code. The answer is the same, and as quick, whether or not the
// number belongs to anyone (or is verified): the code is made and queued
// after the answer.
func (h *handler) signinCodeRequest(w http.ResponseWriter, r *http.Request, phone string) {
	go h.sendSignInCode(context.WithoutCancel(r.Context()), phone)
	h.render(w, r, http.StatusOK, "signin.html", view{Title: "Check your phone", CSRF: h.preToken(w, r),
		Data: signinData{Phone: phone}})
}

// sendSignInCode queues a code for the member whose verified number phone
// is, if any and not disabled, within the number's limit, and logs what
// happened (the member's id, never the number or the code).
func (h *handler) sendSignInCode(ctx context.Context, phone string) {
	ctx, cancel := context.WithTimeout(ctx, signinSendTimeout)
	defer cancel()
	u, queued, err := QueueSignInCode(ctx, h.store.Auth, h.store.Queue, phone)
	switch {
	case errors.Is(err, threads.ErrNotFound):
		h.log.Info("sign-in code asked for a number no member has verified")
	case errors.Is(err, threads.ErrDisabled):
		h.log.Info("sign-in code asked for a disabled member", "member", u.ID)
	case err != nil:
		h.log.Error("sign-in code", "err", err)
	case !queued:
		h.log.Warn("sign-in code not sent: too many asked for this hour", "member", u.ID)
	default:
		h.log.Info("sign-in code queued", "member", u.ID)
	}
}

// QueueSignInCode makes a sign-in code for the member whose verified
// number phone is and queues it as a text (threads.NoticeSignInCode); the
// delivery worker sends it through the SMS channel. It reports false when
// the number or its member had their share of codes this hour (the same
// limit as sign-in links; the code is then forgotten); threads.ErrNotFound when no member
// has verified the number, threads.ErrDisabled for a disabled member.
func QueueSignInCode(ctx context.Context, auth *threads.Auth, queue *threads.Queue, phone string) (threads.User, bool, error) {
	code, u, err := auth.NewSignInCode(ctx, phone)
	if errors.As(err, new(*threads.TooManyCodesError)) {
		return u, false, nil
	}
	if err != nil {
		return u, false, err
	}
	queued, err := queue.QueueNotice(ctx, threads.Notice{To: phone, Kind: threads.NoticeSignInCode, Channel: threads.SMS,
		Name: u.Name, Text: code})
	if err != nil || !queued {
		_ = auth.DropSignInCode(ctx, phone)
	}
	return u, queued, err
}

// signinCodeConsume signs in with a texted code. A wrong, used, expired or
// burned code, or a number no one has, gets the same answer: the form
// again, to try once more or ask for a new code.
func (h *handler) signinCodeConsume(w http.ResponseWriter, r *http.Request) {
	if !h.signinForm(w, r) {
		return
	}
	phone, ok := phoneNumber(r.PostFormValue("phone"))
	if !ok {
		h.render(w, r, http.StatusBadRequest, "signin.html", view{Title: "Sign in", CSRF: h.preToken(w, r),
			Error: "That is not a phone number like +15550001111. Ask for a code below."})
		return
	}
	code := strings.Join(strings.Fields(r.PostFormValue("code")), "")
	u, err := h.store.Auth.ConsumeSignInCode(r.Context(), phone, code)
	if errors.Is(err, threads.ErrBadCredential) {
		h.render(w, r, http.StatusBadRequest, "signin.html", view{Title: "Check your phone", CSRF: h.preToken(w, r),
			Error: "That code is wrong, used already, or more than 10 minutes old. After 5 wrong tries a code stops working: then ask for a new one.",
			Data:  signinData{Phone: phone}})
		return
	}
	if err != nil {
		h.pageFail(w, r, nil, err)
		return
	}
	h.startSession(w, r, u)
}
