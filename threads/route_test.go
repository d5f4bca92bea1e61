package threads

import "testing"

// TestRouteTable covers every row of the routing table in DESIGN.md.
func TestRouteTable(t *testing.T) {
	both := RouteInput{EmailOK: true, SMSOK: true}
	with := func(in RouteInput, f func(*RouteInput)) RouteInput { f(&in); return in }
	cases := []struct {
		row  string
		in   RouteInput
		want Channel
	}{
		{"online: live only", with(both, func(i *RouteInput) { i.State = StateOnline }), Live},
		{"online, personal: still live", with(both, func(i *RouteInput) { i.State = StateOnline; i.Personal = true }), Live},
		{"online in quiet hours: live", with(both, func(i *RouteInput) { i.State = StateOnline; i.Quiet = true }), Live},
		{"away: email", with(both, func(i *RouteInput) { i.State = StateAway }), Email},
		{"away, personal: email", with(both, func(i *RouteInput) { i.State = StateAway; i.Personal = true }), Email},
		{"offline with phone, direct or mention: sms", with(both, func(i *RouteInput) { i.State = StateOffline; i.Personal = true }), SMS},
		{"offline with phone, room-wide: email", with(both, func(i *RouteInput) { i.State = StateOffline }), Email},
		{"offline without phone, personal: email", with(both, func(i *RouteInput) { i.State = StateOffline; i.Personal = true; i.SMSOK = false }), Email},
		{"busy: held for digest", with(both, func(i *RouteInput) { i.State = StateBusy; i.Personal = true }), Hold},
		{"room muted: held", with(both, func(i *RouteInput) { i.State = StateOffline; i.Personal = true; i.Muted = true }), Hold},
		{"muted, online: still live", with(both, func(i *RouteInput) { i.State = StateOnline; i.Muted = true }), Live},
		{"quiet hours: sms held", with(both, func(i *RouteInput) { i.State = StateOffline; i.Personal = true; i.Quiet = true }), Hold},
		{"quiet hours: email as usual", with(both, func(i *RouteInput) { i.State = StateAway; i.Quiet = true }), Email},
		{"quiet hours, offline room-wide: email as usual", with(both, func(i *RouteInput) { i.State = StateOffline; i.Quiet = true }), Email},
		{"quiet hours, mode email: sms becomes email", with(both, func(i *RouteInput) {
			i.State = StateOffline
			i.Personal = true
			i.Quiet = true
			i.QuietMode = QuietSMSToEmail
		}), Email},
		{"quiet hours, mode email, no working email: held", with(both, func(i *RouteInput) {
			i.State = StateOffline
			i.Personal = true
			i.Quiet = true
			i.QuietMode = QuietSMSToEmail
			i.EmailOK = false
		}), Hold},
		{"quiet hours, mode hold-all: email held", with(both, func(i *RouteInput) { i.State = StateAway; i.Quiet = true; i.QuietMode = QuietHoldAll }), Hold},
		{"quiet hours, urgent: sms goes through", with(both, func(i *RouteInput) {
			i.State = StateOffline
			i.Personal = true
			i.Quiet = true
			i.Urgent = true
		}), SMS},
		{"quiet hours hold-all, urgent: email goes through", with(both, func(i *RouteInput) {
			i.State = StateAway
			i.Quiet = true
			i.QuietMode = QuietHoldAll
			i.Urgent = true
		}), Email},
		{"offline, urgent room-wide line: sms", with(both, func(i *RouteInput) { i.State = StateOffline; i.Urgent = true }), SMS},
		{"busy, urgent: still held (do not disturb)", with(both, func(i *RouteInput) { i.State = StateBusy; i.Urgent = true }), Hold},
		{"muted, urgent: still held", with(both, func(i *RouteInput) { i.State = StateAway; i.Muted = true; i.Urgent = true }), Hold},
		{"auto-reply, away: not relayed", with(both, func(i *RouteInput) { i.State = StateAway; i.Automatic = true }), Hold},
		{"auto-reply, offline, direct: not relayed", with(both, func(i *RouteInput) { i.State = StateOffline; i.Personal = true; i.Automatic = true }), Hold},
		{"auto-reply, online: live", with(both, func(i *RouteInput) { i.State = StateOnline; i.Automatic = true }), Live},
		{"quiet hours beat a preference", with(both, func(i *RouteInput) { i.State = StateAway; i.Quiet = true; i.Prefer = SMS }), Hold},
		{"opted out of sms: email", with(both, func(i *RouteInput) { i.State = StateOffline; i.Personal = true; i.SMSOK = false }), Email},
		{"email bouncing, away: sms", with(both, func(i *RouteInput) { i.State = StateAway; i.EmailOK = false }), SMS},
		{"email bouncing, offline room-wide: sms", with(both, func(i *RouteInput) { i.State = StateOffline; i.EmailOK = false }), SMS},
		{"no channel at all: held", RouteInput{State: StateAway}, Hold},
		{"preference: sms when away", with(both, func(i *RouteInput) { i.State = StateAway; i.Prefer = SMS }), SMS},
		{"preference: digest when offline", with(both, func(i *RouteInput) { i.State = StateOffline; i.Personal = true; i.Prefer = Hold }), Hold},
		{"unusable preference falls back", with(both, func(i *RouteInput) { i.State = StateAway; i.Prefer = SMS; i.SMSOK = false }), Email},
		{"idle with a page open: email", with(both, func(i *RouteInput) { i.State = StateAway; i.Idle = true }), Email},
	}
	for _, c := range cases {
		if got := Route(c.in); got.Channel != c.want || got.Reason == "" {
			t.Errorf("%s: Route(%+v) = %+v, want %s", c.row, c.in, got, c.want)
		}
	}
	if d := Route(RouteInput{State: StateAway, Idle: true, EmailOK: true}); d.Reason != "idle" {
		t.Errorf("an idle member's reason: %q, want idle", d.Reason)
	}
}

func TestRouteInputFromUser(t *testing.T) {
	u := User{Emails: []string{"a@x.org"}, Phone: "+15550001111", PhoneVerified: true}
	cases := []struct {
		name       string
		change     func(*User)
		email, sms bool
	}{
		{"all good", func(*User) {}, true, true},
		{"phone not verified", func(u *User) { u.PhoneVerified = false }, true, false},
		{"stop", func(u *User) { u.SMSOptOut = true }, true, false},
		{"phone failing", func(u *User) { u.PhoneFailing = true }, true, false},
		{"bouncing", func(u *User) { u.EmailFailing = true }, false, true},
		{"no address", func(u *User) { u.Emails = nil }, false, true},
	}
	for _, c := range cases {
		v := u
		c.change(&v)
		v.Prefs.Quiet = &QuietHours{From: "22:00", To: "07:00", Mode: QuietSMSToEmail}
		in := routeInput(v, Presence{State: StateAway}, false, false, false)
		if in.QuietMode != QuietSMSToEmail {
			t.Errorf("%s: quiet mode %q", c.name, in.QuietMode)
		}
		if in.EmailOK != c.email || in.SMSOK != c.sms {
			t.Errorf("%s: email %v sms %v, want %v %v", c.name, in.EmailOK, in.SMSOK, c.email, c.sms)
		}
	}
}
