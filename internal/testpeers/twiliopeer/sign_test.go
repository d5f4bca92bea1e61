package twiliopeer

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/twilio/twilio-go/client"
)

// The example of Twilio's security documentation.
var docParams = DocParams()

func TestSign(t *testing.T) {
	tests := []struct {
		name   string
		token  string
		url    string
		params url.Values
		same   bool // whether the signature is the documented one
	}{
		{"Twilio's documented example", DocToken, DocURL, docParams, true},
		{"other token", "54321", DocURL, docParams, false},
		{"other URL", DocToken, "https://mycompany.com/myapp.php?foo=1&bar=3", docParams, false},
		{"no params", DocToken, DocURL, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Sign(tt.token, tt.url, tt.params)
			if (got == DocSignature) != tt.same {
				t.Errorf("Sign() = %q; documented signature %q, want same: %v", got, DocSignature, tt.same)
			}
		})
	}
}

// TestSignAgreesWithTwilioGo checks Sign against twilio-go's validator, a
// second implementation, on assorted parameters.
func TestSignAgreesWithTwilioGo(t *testing.T) {
	cases := []struct {
		url    string
		params map[string]string
	}{
		{"https://parley.example/sms/twilio", map[string]string{"Body": "héllo 😀 & =+%", "From": "+15550001111"}},
		{"https://parley.example:8443/sms/twilio?x=1", map[string]string{"b": "2", "a": "1", "A": "0"}},
		{"http://127.0.0.1:8080/sms/twilio/status", map[string]string{"MessageStatus": "delivered", "ErrorCode": ""}},
		{"https://parley.example/", nil},
	}
	for i, c := range cases {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			v := url.Values{}
			for k, x := range c.params {
				v.Set(k, x)
			}
			sig := Sign("abc123", c.url, v)
			rv := client.NewRequestValidator("abc123")
			if !rv.Validate(c.url, c.params, sig) {
				t.Errorf("twilio-go rejects Sign(%q, %v) = %q", c.url, c.params, sig)
			}
		})
	}
}

func TestNewSignedRequest(t *testing.T) {
	var got url.Values
	var sig, ctype string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		got, sig, ctype = r.PostForm, r.Header.Get("X-Twilio-Signature"), r.Header.Get("Content-Type")
	}))
	defer srv.Close()
	req, err := NewSignedRequest(context.Background(), DocToken, DocURL, srv.URL+"/myapp.php?foo=1&bar=2", docParams)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if sig != DocSignature {
		t.Errorf("X-Twilio-Signature = %q, want %q", sig, DocSignature)
	}
	if ctype != "application/x-www-form-urlencoded" {
		t.Errorf("Content-Type = %q", ctype)
	}
	if got.Encode() != docParams.Encode() {
		t.Errorf("form = %v, want %v", got, docParams)
	}
}
