package twiliosms

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestCallTransport(t *testing.T) {
	const path = "/2010-04-01/Accounts/AC1/Messages.json"
	tests := []struct {
		name, base, in, want string
	}{
		{"no override", "", "https://api.twilio.com" + path, "https://api.twilio.com" + path},
		{"local server", "http://127.0.0.1:8080", "https://api.twilio.com" + path, "http://127.0.0.1:8080" + path},
		{"edge host too", "http://127.0.0.1:8080", "https://api.dublin.ie1.twilio.com" + path, "http://127.0.0.1:8080" + path},
		{"proxy with prefix", "https://proxy.example/twilio/", "https://api.twilio.com" + path, "https://proxy.example/twilio" + path},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			type key struct{}
			ctx := context.WithValue(context.Background(), key{}, "call")
			var got *http.Request
			tr := &callTransport{ctx: ctx, next: roundTripFunc(func(r *http.Request) (*http.Response, error) {
				got = r
				return &http.Response{StatusCode: 400, Body: io.NopCloser(strings.NewReader(`{"code":1}`))}, nil
			})}
			if tt.base != "" {
				tr.base, _ = url.Parse(tt.base)
			}
			req, _ := http.NewRequest(http.MethodPost, tt.in, nil)
			resp, err := tr.RoundTrip(req)
			if err != nil {
				t.Fatal(err)
			}
			if got.URL.String() != tt.want {
				t.Errorf("sent to %s, want %s", got.URL, tt.want)
			}
			if got.Context().Value(key{}) != "call" {
				t.Error("request does not carry the call's context")
			}
			if req.URL.String() != tt.in {
				t.Errorf("original request changed to %s", req.URL)
			}
			if tr.status != 400 {
				t.Errorf("status = %d, want 400", tr.status)
			}
			if b, _ := io.ReadAll(resp.Body); string(b) != `{"code":1}` {
				t.Errorf("body = %q", b)
			}
		})
	}
}
