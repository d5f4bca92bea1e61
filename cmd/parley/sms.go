package main

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/url"

	smshook "parley/inbound/sms"
	"parley/outbound"
	"parley/templates"
	"parley/threads"
)

// newSMSHook builds the Twilio webhook (inbound texts and status
// callbacks) when TWILIO_AUTH_TOKEN is set, else returns nil: without the
// token no request can be verified, so none is taken. Its answers go out
// through replies, the delivery worker's text sender, rendered from tmpl.
func newSMSHook(cfg Config, st *threads.Store, replies outbound.TextSender, tmpl *templates.Set, log *slog.Logger) (http.Handler, error) {
	if cfg.TwilioAuthToken == "" {
		return nil, nil
	}
	o := smshook.Options{SMS: st.SMS, Directory: st.Directory, Chat: st.Chat, PublicURL: cfg.PublicURL,
		AccountSID: cfg.TwilioAccountSID, AuthToken: cfg.TwilioAuthToken, Replies: replies, Templates: tmpl, Log: log}
	if cfg.TwilioAPIURL != "" {
		// A local test server or a proxy serves the media too.
		u, err := url.Parse(cfg.TwilioAPIURL)
		if err != nil {
			return nil, fmt.Errorf("PARLEY_TWILIO_API_URL: %w", err)
		}
		o.MediaBases = []string{smshook.DefaultMediaBase, u.Scheme + "://" + u.Host}
	}
	b, err := fileStore(cfg)
	if err != nil {
		return nil, err
	}
	o.Blobs = b
	h, err := smshook.New(o)
	if err != nil {
		return nil, fmt.Errorf("twilio webhook: %w", err)
	}
	return h, nil
}
