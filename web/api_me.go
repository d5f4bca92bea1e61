package web

import (
	"cmp"
	"context"
	"maps"
	"net/http"
	"strings"
	"time"

	"parley/threads"
)

// meView is the signed-in member as GET /api/me shows them.
type meView struct {
	ID     string   `json:"id"`
	Name   string   `json:"name"`
	Emails []string `json:"emails"`
	Phone  string   `json:"phone,omitempty"`
	// PhoneVerified: the member proved the phone with a texted code (or
	// an admin vouched for it); only then do texts go to it and count as
	// the member's.
	PhoneVerified bool             `json:"phone_verified"`
	TimeZone      string           `json:"tz,omitempty"`
	Role          threads.Role     `json:"role"`
	Profile       threads.Profile  `json:"profile"`
	Presence      threads.Presence `json:"presence"`
	// Digest is how often the member gets a digest (off, daily, weekly);
	// DigestHour the hour of day, in their time zone.
	Digest     threads.DigestFrequency `json:"digest"`
	DigestHour int                     `json:"digest_hour"`
	// Channels are the member's channel per state (only those set).
	Channels map[threads.State]threads.Channel `json:"channels,omitempty"`
	// Quiet is the daily window of quiet hours, if any.
	Quiet *threads.QuietHours `json:"quiet,omitempty"`
	// AutoReply is on or off.
	AutoReply string `json:"auto_reply"`
	// Escalate is off, a time (30m), or "" for the server's default.
	Escalate string `json:"escalate,omitempty"`
	// AttachMax is the largest file attached to the member's emails
	// (bytes; 0: links only), when they set one; MMS is on or off.
	AttachMax *int64 `json:"attach_max,omitempty"`
	MMS       string `json:"mms"`
}

func (h *handler) meView(ctx context.Context, u threads.User) (meView, error) {
	p, err := h.store.Chat.Presence(ctx, u.ID)
	if err != nil {
		return meView{}, err
	}
	return meView{ID: u.ID, Name: u.Name, Emails: u.Emails, Phone: u.Phone, PhoneVerified: u.PhoneVerified, TimeZone: u.TimeZone, Role: u.Role,
		Profile: u.Profile, Presence: p, Digest: digestOf(u), DigestHour: u.Prefs.DigestHour,
		Channels: u.Prefs.Channels, Quiet: u.Prefs.Quiet, AutoReply: cmp.Or(u.Prefs.AutoReply, threads.AutoReplyOn), Escalate: u.Prefs.Escalate,
		AttachMax: u.Prefs.AttachMax, MMS: cmp.Or(u.Prefs.MMS, "on")}, nil
}

func (h *handler) showMe(w http.ResponseWriter, r *http.Request, me *who) error {
	v, err := h.meView(r.Context(), me.user)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

// meBody is the body of PUT /api/me: the fields to change (absent ones stay).
type meBody struct {
	Name     *string      `json:"name"`
	TimeZone *string      `json:"tz"`
	Phone    *string      `json:"phone"`
	Profile  *profileBody `json:"profile"`
	// Digest is off, daily or weekly; DigestHour 0-23.
	Digest     *threads.DigestFrequency `json:"digest"`
	DigestHour *int                     `json:"digest_hour"`
	// Channels sets the channel for each state it names (away, offline);
	// "default" removes a preference. States it does not name stay.
	Channels map[threads.State]threads.Channel `json:"channels"`
	// Quiet sets the quiet hours; {"from": ""} removes them.
	Quiet *threads.QuietHours `json:"quiet"`
	// AutoReply is on or off.
	AutoReply *string `json:"auto_reply"`
	// Escalate is off, a time from 1m to 24h (30m), or "default".
	Escalate *string `json:"escalate"`
	// AttachMax sets the largest file attached to the member's emails
	// (bytes; 0: links only; -1: the deployment's default). MMS is on or off.
	AttachMax *int64  `json:"attach_max"`
	MMS       *string `json:"mms"`
}

type profileBody struct {
	Title     *string   `json:"title"`
	Team      *string   `json:"team"`
	Interests *[]string `json:"interests"`
	// Fields sets the admin-defined fields it names; an empty value
	// removes one. Fields it does not name stay.
	Fields map[string]string `json:"fields"`
}

// apply changes u as the body says. threads checks every value (lengths,
// interests, defined profile fields, digest settings) when the user is
// stored, so that the API, the page and the CLI share one set of rules.
func (b meBody) apply(u *threads.User) error {
	if b.Name != nil {
		u.Name = *b.Name
	}
	if b.TimeZone != nil {
		u.TimeZone = strings.TrimSpace(*b.TimeZone)
	}
	if b.Phone != nil {
		phone := strings.Join(strings.Fields(*b.Phone), "")
		if phone != u.Phone {
			// A number the member types in is not known to reach them.
			u.Phone, u.PhoneVerified = phone, false
		}
	}
	if b.Digest != nil {
		u.Prefs.Digest = *b.Digest
	}
	if b.DigestHour != nil {
		u.Prefs.DigestHour = *b.DigestHour
	}
	if len(b.Channels) > 0 {
		ch := maps.Clone(u.Prefs.Channels)
		if ch == nil {
			ch = map[threads.State]threads.Channel{}
		}
		for st, c := range b.Channels {
			if c == "default" || c == "" {
				delete(ch, st)
			} else {
				ch[st] = c
			}
		}
		u.Prefs.Channels = ch
	}
	if b.Quiet != nil {
		u.Prefs.Quiet = b.Quiet
		if b.Quiet.From == "" && b.Quiet.To == "" {
			u.Prefs.Quiet = nil
		}
	}
	if b.AutoReply != nil {
		u.Prefs.AutoReply = *b.AutoReply
	}
	if b.Escalate != nil {
		u.Prefs.Escalate = strings.TrimSpace(*b.Escalate)
		if u.Prefs.Escalate == "default" {
			u.Prefs.Escalate = ""
		}
	}
	if b.AttachMax != nil {
		u.Prefs.AttachMax = b.AttachMax
		if *b.AttachMax == -1 {
			u.Prefs.AttachMax = nil
		}
	}
	if b.MMS != nil {
		u.Prefs.MMS = *b.MMS
	}
	if p := b.Profile; p != nil {
		if p.Title != nil {
			u.Profile.Title = *p.Title
		}
		if p.Team != nil {
			u.Profile.Team = *p.Team
		}
		if p.Interests != nil {
			u.Profile.Interests = *p.Interests
		}
		if len(p.Fields) > threads.MaxProfileFields {
			return errf(http.StatusBadRequest, "invalid", "at most %d profile fields", threads.MaxProfileFields)
		}
		for name, v := range p.Fields {
			if u.Profile.Fields == nil {
				u.Profile.Fields = map[string]string{}
			}
			u.Profile.Fields[name] = v
		}
	}
	return nil
}

// digestOf is the member's digest frequency, daily when unset.
func digestOf(u threads.User) threads.DigestFrequency {
	if u.Prefs.Digest == "" {
		return threads.DigestDaily
	}
	return u.Prefs.Digest
}

func (h *handler) updateMe(w http.ResponseWriter, r *http.Request, me *who) error {
	var in meBody
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	u, err := h.store.Directory.UpdateUser(r.Context(), me.user.ID, func(u *threads.User) error {
		before := u.Name
		if err := in.apply(u); err != nil {
			return err
		}
		if strings.TrimSpace(u.Name) != before { // not a name like another member's (threads/confusable.go)
			return h.store.Directory.CheckName(r.Context(), u.ID, strings.TrimSpace(u.Name))
		}
		return nil
	})
	if err != nil {
		return err
	}
	v, err := h.meView(r.Context(), u)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

// statusBody is the body of PUT /api/me/status. Until is a time (RFC 3339)
// or a duration from now ("2h").
type statusBody struct {
	Availability threads.Availability `json:"availability"`
	Text         string               `json:"text"`
	Until        string               `json:"until"`
}

// status turns the body into a threads.Status at now.
func (b statusBody) status(now time.Time) (threads.Status, error) {
	st := threads.Status{Availability: b.Availability, Text: strings.TrimSpace(b.Text)}
	if u := strings.TrimSpace(b.Until); u != "" {
		if t, err := time.Parse(time.RFC3339, u); err == nil {
			st.Until = t
		} else if d, err := time.ParseDuration(u); err == nil && d > 0 {
			st.Until = now.Add(d)
		} else {
			return st, errf(http.StatusBadRequest, "invalid", "until %q is neither a time like 2026-11-25T17:00:00Z nor a duration like 2h", u)
		}
	}
	return st, nil
}

func (h *handler) setStatus(w http.ResponseWriter, r *http.Request, me *who) error {
	var in statusBody
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	st, err := in.status(h.opts.Now())
	if err != nil {
		return err
	}
	p, err := h.store.Chat.SetStatus(r.Context(), me.user.ID, st)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, p)
	return nil
}

// heartbeatBody is the optional body of POST /api/me/heartbeat. Without a
// body the beat is active, as scripts expect.
type heartbeatBody struct {
	// State is "active" (real input just now) or "idle" (open, not used).
	State string `json:"state"`
	// Client names the tab or device, so that its idle report withdraws
	// only its own activity.
	Client string `json:"client"`
}

func (h *handler) heartbeat(w http.ResponseWriter, r *http.Request, me *who) error {
	var in heartbeatBody
	if r.ContentLength > 0 || r.Header.Get("Content-Type") != "" {
		if err := decodeJSON(w, r, &in); err != nil {
			return err
		}
	}
	b := threads.Beat{Client: in.Client}
	switch in.State {
	case "", "active":
		b.Activity = threads.Active
	case "idle":
		b.Activity = threads.Idle
	default:
		return errf(http.StatusBadRequest, "invalid", "state %q is not active or idle", in.State)
	}
	if err := h.store.Chat.Heartbeat(r.Context(), me.user.ID, b); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *handler) listTokens(w http.ResponseWriter, r *http.Request, me *who) error {
	list, err := h.store.Auth.APITokens(r.Context(), me.user.ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"tokens": list})
	return nil
}

// tokenBody is the body of POST /api/tokens.
type tokenBody struct {
	Name string `json:"name"`
}

// newToken is the answer to POST /api/tokens: the only time the secret is shown.
type newToken struct {
	threads.APIToken
	Token string `json:"token"`
}

func (h *handler) createToken(w http.ResponseWriter, r *http.Request, me *who) error {
	var in tokenBody
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	secret, t, err := h.store.Auth.NewAPIToken(r.Context(), me.user.ID, in.Name)
	if err != nil {
		return err
	}
	h.log.Info("API token created", "member", me.user.ID, "token", t.ID)
	writeJSON(w, http.StatusCreated, newToken{APIToken: t, Token: secret})
	return nil
}

func (h *handler) revokeToken(w http.ResponseWriter, r *http.Request, me *who) error {
	if err := h.store.Auth.RevokeAPIToken(r.Context(), me.user.ID, r.PathValue("id")); err != nil {
		return err
	}
	h.log.Info("API token revoked", "member", me.user.ID, "token", r.PathValue("id"))
	w.WriteHeader(http.StatusNoContent)
	return nil
}
