package twiliosig

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"

	"parley/internal/testpeers/twiliopeer"
)

// The example of Twilio's security documentation.
var docParams = twiliopeer.DocParams()

func TestVerify(t *testing.T) {
	const target = "/myapp.php?foo=1&bar=2"
	form := docParams.Encode()
	type request struct {
		method, target, body, signature, contentType, host string
		contentLength                                      int64 // 0: len(body); -1: unknown
	}
	doc := request{method: "POST", target: target, body: form, signature: twiliopeer.DocSignature}
	with := func(f func(*request)) request { r := doc; f(&r); return r }

	tests := []struct {
		name      string
		publicURL string
		token     string
		maxBody   int64
		req       request
		wantErr   []error
	}{
		{name: "Twilio's documented example", publicURL: "https://mycompany.com", req: doc},
		{name: "public URL with trailing slash", publicURL: "https://mycompany.com/", req: doc},
		{name: "public URL with default port", publicURL: "https://mycompany.com:443", req: doc},
		{name: "public URL with a path prefix a proxy strips", publicURL: "https://mycompany.com/parley",
			req: with(func(r *request) {
				r.signature = twiliopeer.Sign(twiliopeer.DocToken, "https://mycompany.com/parley"+target, docParams)
			})},
		{name: "content type with charset", publicURL: "https://mycompany.com",
			req: with(func(r *request) { r.contentType = "application/x-www-form-urlencoded; charset=utf-8" })},
		{name: "body of unknown length", publicURL: "https://mycompany.com",
			req: with(func(r *request) { r.contentLength = -1 })},
		{name: "wrong signature", publicURL: "https://mycompany.com",
			req:     with(func(r *request) { r.signature = "1/KCTR6DLpKmkAf8muzZqo1nDgQ=" }),
			wantErr: []error{ErrBadSignature}},
		{name: "wrong token", publicURL: "https://mycompany.com", token: "54321", req: doc,
			wantErr: []error{ErrBadSignature}},
		{name: "signature over another URL", publicURL: "https://parley.example", req: doc,
			wantErr: []error{ErrBadSignature}},
		{name: "query changed", publicURL: "https://mycompany.com",
			req:     with(func(r *request) { r.target = "/myapp.php?foo=1&bar=3" }),
			wantErr: []error{ErrBadSignature}},
		{name: "parameter changed", publicURL: "https://mycompany.com",
			req:     with(func(r *request) { r.body = strings.Replace(form, "Digits=1234", "Digits=1235", 1) }),
			wantErr: []error{ErrBadSignature}},
		{name: "parameter added", publicURL: "https://mycompany.com",
			req:     with(func(r *request) { r.body = form + "&Extra=1" }),
			wantErr: []error{ErrBadSignature}},
		{name: "public URL misconfigured, signed for the host reached", publicURL: "https://parley.example",
			req:     with(func(r *request) { r.host = "mycompany.com" }),
			wantErr: []error{ErrBadSignature, ErrWrongURL}},
		{name: "missing header", publicURL: "https://mycompany.com",
			req:     with(func(r *request) { r.signature = "" }),
			wantErr: []error{ErrMissingSignature}},
		{name: "oversize body, length known", publicURL: "https://mycompany.com", maxBody: 50, req: doc,
			wantErr: []error{ErrBodyTooLarge}},
		{name: "oversize body, length unknown", publicURL: "https://mycompany.com", maxBody: 50,
			req:     with(func(r *request) { r.contentLength = -1 }),
			wantErr: []error{ErrBodyTooLarge}},
		{name: "oversize body, default limit", publicURL: "https://mycompany.com",
			req:     with(func(r *request) { r.body = form + "&Body=" + strings.Repeat("x", DefaultMaxBody) }),
			wantErr: []error{ErrBodyTooLarge}},
		{name: "GET", publicURL: "https://mycompany.com",
			req:     with(func(r *request) { r.method = "GET"; r.body = "" }),
			wantErr: []error{ErrBadRequest}},
		{name: "JSON body", publicURL: "https://mycompany.com",
			req:     with(func(r *request) { r.contentType = "application/json" }),
			wantErr: []error{ErrBadRequest}},
		{name: "malformed form", publicURL: "https://mycompany.com",
			req:     with(func(r *request) { r.body = form + "&Body=%zz" }),
			wantErr: []error{ErrBadRequest}},
		{name: "repeated parameter", publicURL: "https://mycompany.com",
			req:     with(func(r *request) { r.body = form + "&Digits=1" }),
			wantErr: []error{ErrBadRequest}},
		{name: "public URL not absolute", publicURL: "mycompany.com", req: doc, wantErr: []error{ErrConfig}},
		{name: "public URL with query", publicURL: "https://mycompany.com/?a=1", req: doc, wantErr: []error{ErrConfig}},
		{name: "public URL not http", publicURL: "ftp://mycompany.com", req: doc, wantErr: []error{ErrConfig}},
		{name: "no auth token", publicURL: "https://mycompany.com", token: "-", req: doc, wantErr: []error{ErrConfig}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(tt.req.method, tt.req.target, strings.NewReader(tt.req.body))
			ct := tt.req.contentType
			if ct == "" {
				ct = "application/x-www-form-urlencoded"
			}
			r.Header.Set("Content-Type", ct)
			if tt.req.signature != "" {
				r.Header.Set("X-Twilio-Signature", tt.req.signature)
			}
			if tt.req.host != "" {
				r.Host = tt.req.host
			}
			if tt.req.contentLength == -1 {
				r.ContentLength = -1
			}
			token := tt.token
			switch token {
			case "":
				token = twiliopeer.DocToken
			case "-":
				token = ""
			}
			params, err := Verify(r, tt.publicURL, token, tt.maxBody)
			if len(tt.wantErr) == 0 {
				if err != nil {
					t.Fatalf("Verify() error = %v", err)
				}
				if params.Encode() != docParams.Encode() {
					t.Errorf("Verify() = %v, want %v", params, docParams)
				}
				return
			}
			if params != nil {
				t.Errorf("Verify() = %v with error", params)
			}
			for _, want := range tt.wantErr {
				if !errors.Is(err, want) {
					t.Errorf("Verify() error = %v, want %v", err, want)
				}
			}
			if errors.Is(err, ErrWrongURL) && !slices.Contains(tt.wantErr, ErrWrongURL) {
				t.Errorf("Verify() error = %v, want no ErrWrongURL", err)
			}
		})
	}
}

// TestVerifyOverNetwork sends requests signed with twiliopeer, an
// implementation of Twilio's algorithm independent of twilio-go, over
// loopback to a handler behind http.StripPrefix, as parley's server might
// mount it.
func TestVerifyOverNetwork(t *testing.T) {
	const publicURL = "https://parley.example"
	tw := twiliopeer.New(t)
	var got url.Values
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		params, err := Verify(r, publicURL, tw.AuthToken, 0)
		switch {
		case errors.Is(err, ErrMissingSignature), errors.Is(err, ErrBadSignature):
			http.Error(w, "forbidden", http.StatusForbidden)
		case errors.Is(err, ErrBodyTooLarge):
			http.Error(w, "too large", http.StatusRequestEntityTooLarge)
		case err != nil:
			http.Error(w, err.Error(), http.StatusBadRequest)
		default:
			got = params
		}
	})
	mux := http.NewServeMux()
	mux.Handle("/sms/", http.StripPrefix("/sms", handler))
	srv := httptest.NewServer(mux)
	defer srv.Close()

	params := tw.InboundParams("+15550001111", "+15550002222", "Réunion à 10h 😀 & 100% {ok}")
	tests := []struct {
		name      string
		signedURL string
		token     string
		target    string
		status    int
	}{
		{"signed for the public URL", publicURL + "/sms/twilio?x=1", tw.AuthToken, "/sms/twilio?x=1", 200},
		{"signed for the status URL", publicURL + "/sms/twilio/status", tw.AuthToken, "/sms/twilio/status", 200},
		{"signed for another path", publicURL + "/sms/twilio/status", tw.AuthToken, "/sms/twilio", 403},
		{"signed for another host", "https://evil.example/sms/twilio", tw.AuthToken, "/sms/twilio", 403},
		{"signed with another token", publicURL + "/sms/twilio", "0123456789abcdef", "/sms/twilio", 403},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got = nil
			req, err := twiliopeer.NewSignedRequest(context.Background(), tt.token, tt.signedURL, srv.URL+tt.target, params)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.status {
				t.Fatalf("status = %d (%s), want %d", resp.StatusCode, body, tt.status)
			}
			if tt.status == 200 && got.Encode() != params.Encode() {
				t.Errorf("params = %v, want %v", got, params)
			}
		})
	}
}
