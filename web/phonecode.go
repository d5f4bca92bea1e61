package web

import (
	"context"
	"net/http"
	"strings"

	"parley/threads"
)

// A member proves the phone they gave by typing back a code texted to it:
// POST /api/me/phone/verify sends the code, POST /api/me/phone/confirm
// takes it; the profile page has the same two steps beside the number.
// Whose phone is always the signed-in member's own: no request names
// another. threads keeps and checks the code (onetimecode.go).

// QueuePhoneCode makes a code proving member id's phone and queues it as a
// text (threads.NoticePhoneCode), which the delivery worker sends through
// the SMS channel. It returns the member. A number that had its share of
// texted codes this hour is a 429; the errors of threads.NewPhoneCode pass
// through.
func QueuePhoneCode(ctx context.Context, auth *threads.Auth, queue *threads.Queue, id string) (threads.User, error) {
	code, u, err := auth.NewPhoneCode(ctx, id)
	if err != nil {
		return u, err
	}
	queued, err := queue.QueueNotice(ctx, threads.Notice{To: u.Phone, Kind: threads.NoticePhoneCode, Channel: threads.SMS,
		Name: u.Name, Text: code})
	if err != nil || !queued {
		_ = auth.DropPhoneCode(ctx, id)
	}
	if err == nil && !queued {
		err = errf(http.StatusTooManyRequests, "rate_limited", "%s had its share of texted codes this hour; try again later", u.Phone)
	}
	return u, err
}

// phoneCodeSent is the answer to POST /api/me/phone/verify.
type phoneCodeSent struct {
	// Phone is the number the code went to; ExpiresIn how long it works
	// (seconds) and Tries how many wrong codes burn it.
	Phone     string `json:"phone"`
	ExpiresIn int    `json:"expires_in"`
	Tries     int    `json:"tries"`
}

func (h *handler) sendPhoneCode(w http.ResponseWriter, r *http.Request, me *who) error {
	u, err := QueuePhoneCode(r.Context(), h.store.Auth, h.store.Queue, me.user.ID)
	if err != nil {
		return err
	}
	h.log.Info("phone code queued", "member", u.ID)
	writeJSON(w, http.StatusAccepted, phoneCodeSent{Phone: u.Phone, ExpiresIn: int(threads.CodeValidity.Seconds()), Tries: threads.MaxCodeTries})
	return nil
}

// phoneCodeBody is the body of POST /api/me/phone/confirm.
type phoneCodeBody struct {
	Code string `json:"code"`
}

// typedCode is a code as a person typed it, spaces removed ("042 917").
func typedCode(s string) string {
	return strings.Join(strings.Fields(s), "")
}

func (h *handler) confirmPhone(w http.ResponseWriter, r *http.Request, me *who) error {
	var in phoneCodeBody
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	u, err := h.store.Auth.ConfirmPhone(r.Context(), me.user.ID, typedCode(in.Code))
	if err != nil {
		return err
	}
	h.log.Info("phone verified", "member", u.ID)
	v, err := h.meView(r.Context(), u)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

// phoneVerifyForm is the page's "Send code" button beside an unverified phone.
func (h *handler) phoneVerifyForm(w http.ResponseWriter, r *http.Request, me *who) error {
	_, err := QueuePhoneCode(r.Context(), h.store.Auth, h.store.Queue, me.user.ID)
	return h.phoneFormResult(w, r, me, err, "sent")
}

// phoneConfirmForm is the page's code field beside an unverified phone.
func (h *handler) phoneConfirmForm(w http.ResponseWriter, r *http.Request, me *who) error {
	_, err := h.store.Auth.ConfirmPhone(r.Context(), me.user.ID, typedCode(r.PostFormValue("code")))
	return h.phoneFormResult(w, r, me, err, "verified")
}

// phoneFormResult answers a phone form: back to the profile saying what
// happened, or the profile again with what is wrong.
func (h *handler) phoneFormResult(w http.ResponseWriter, r *http.Request, me *who, err error, done string) error {
	if err == nil {
		h.log.Info("phone "+done, "member", me.user.ID)
		http.Redirect(w, r, "/me?phone="+done, http.StatusSeeOther)
		return nil
	}
	he := classify(err)
	if he.status >= 500 {
		return err
	}
	u, uerr := h.store.Directory.User(r.Context(), me.user.ID)
	if uerr != nil {
		return uerr
	}
	return h.profileRefused(w, r, me, u, he)
}
