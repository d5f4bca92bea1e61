package twiliosms

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// maxErrorBody bounds how much of an error answer is kept.
const maxErrorBody = 64 << 10

// callTransport carries one API call for twilio-go. twilio-go builds its
// requests with context.Background() and a fixed https://api.twilio.com
// base, so this transport
//   - gives each request the caller's context, so cancellation and the
//     per-call timeout reach the network;
//   - sends it to the configured API base URL instead, when there is one
//     (twilio-go's SetEdge and SetRegion only rename twilio.com hosts);
//   - records the HTTP status, which twilio-go loses when an error answer
//     is not Twilio's JSON (a proxy's page, say);
//   - reads error bodies whole and closes them, which twilio-go does not,
//     so the connection is reused rather than leaked.
//
// A callTransport serves one call and is not safe for concurrent use.
type callTransport struct {
	ctx  context.Context
	next http.RoundTripper
	base *url.URL // nil: leave the URL alone

	status int // status of the last answer, 0 if none
}

// RoundTrip implements http.RoundTripper.
func (t *callTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	r := req.Clone(t.ctx)
	if t.base != nil {
		r.URL.Scheme = t.base.Scheme
		r.URL.Host = t.base.Host
		r.URL.Path = strings.TrimRight(t.base.Path, "/") + req.URL.Path
		r.URL.RawPath = ""
		r.Host = ""
	}
	resp, err := t.next.RoundTrip(r)
	if err != nil {
		return nil, err
	}
	t.status = resp.StatusCode
	if resp.StatusCode >= 300 {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
		_ = resp.Body.Close()
		resp.Body = io.NopCloser(bytes.NewReader(body))
	}
	return resp, nil
}
