package sms

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"parley/internal/twiliocode"
	"parley/threads"
)

// status records a status callback for a text parley sent, and applies
// what its error means for the member:
//   - delivered (or read): the phone's failure count starts over;
//   - 21610: texts are turned off for the member, routing picks email;
//   - 21211, 21614, 21612: the phone is marked failing at once;
//   - 30003–30008: one failure towards the policy of
//     threads.SMSState.PhoneFailed (threads.PhoneFailures within
//     threads.PhoneFailureWindow).
//
// Other statuses (queued, sent, ...) and other errors are only recorded.
func (h *Handler) status(w http.ResponseWriter, ctx context.Context, p url.Values) {
	sid, status := p.Get("MessageSid"), strings.ToLower(p.Get("MessageStatus"))
	code, _ := strconv.Atoi(p.Get("ErrorCode"))
	if threads.ValidSID(sid) != nil || status == "" {
		writeError(w, http.StatusBadRequest, "MessageSid and MessageStatus are required", "bad_request")
		return
	}
	log := h.log.With("sid", sid, "status", status)
	if code != 0 {
		log = log.With("error_code", code)
	}
	m, err := h.o.SMS.SetSMSStatus(ctx, sid, status, code)
	if err != nil {
		h.fail(w, log, err)
		return
	}
	member, phone := m.Member, m.To
	if phone == "" {
		phone = p.Get("To")
	}
	if threads.ValidPhone(phone) != nil {
		log.Info("status of a text to no phone number recorded")
		w.WriteHeader(http.StatusNoContent)
		return
	}
	if member == "" {
		// A callback for a text parley has no record of (yet): the
		// number tells the member.
		u, err := h.o.Directory.UserByPhone(ctx, phone)
		switch {
		case errors.Is(err, threads.ErrNotFound):
		case err != nil:
			h.fail(w, log, err)
			return
		default:
			member = u.ID
		}
	}
	log = log.With("member", member)
	if err := h.apply(ctx, member, phone, sid, status, code); err != nil {
		h.fail(w, log, err)
		return
	}
	log.Info("text status recorded")
	w.WriteHeader(http.StatusNoContent)
}

// apply changes the member's state after a status, as status describes.
func (h *Handler) apply(ctx context.Context, member, phone, sid, status string, code int) error {
	switch status {
	case "delivered", "read":
		return h.o.SMS.PhoneDelivered(ctx, phone)
	case "undelivered", "failed":
	default:
		return nil
	}
	if member == "" {
		return nil
	}
	kind := twiliocode.KindOf(0, code)
	switch kind {
	case twiliocode.KindOptedOut:
		_, err := h.o.SMS.SetSMSOptOut(ctx, member, true)
		if err == nil {
			h.log.Warn("member opted out of texts; routing will use email", "member", member)
		}
		return ignoreGone(err)
	case twiliocode.KindBadNumber, twiliocode.KindUnreachable:
		marked, err := h.o.SMS.PhoneFailed(ctx, member, phone, sid, kind == twiliocode.KindBadNumber)
		if marked {
			h.log.Warn("phone marked failing; routing will use email", "member", member, "error_code", code)
		}
		return ignoreGone(err)
	}
	return nil
}

// ignoreGone drops "the member no longer exists": nothing left to update.
func ignoreGone(err error) error {
	if errors.Is(err, threads.ErrNotFound) {
		return nil
	}
	return err
}
