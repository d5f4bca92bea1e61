package twiliopeer

import (
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"net/http"
	"net/url"
	"sort"
	"strings"
)

// Sign computes the X-Twilio-Signature that Twilio sends with a webhook
// request to url carrying the form params: the base64 of the HMAC-SHA1,
// keyed with authToken, of url (with its query, exactly as configured)
// followed by each parameter's name and value, sorted by name, without
// separators. A name with several values contributes each of them, sorted
// (Twilio's SMS webhooks never repeat a name, and twilio-go's validator
// takes one value a name).
//
// It is written from Twilio's documentation, independently of twilio-go, so
// tests of code that uses twilio-go's validator check it against a second
// implementation.
func Sign(authToken, url string, params url.Values) string {
	keys := make([]string, 0, len(params))
	for k := range params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString(url)
	for _, k := range keys {
		values := append([]string(nil), params[k]...)
		sort.Strings(values)
		for _, v := range values {
			b.WriteString(k)
			b.WriteString(v)
		}
	}
	mac := hmac.New(sha1.New, []byte(authToken))
	mac.Write([]byte(b.String()))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// NewSignedRequest builds the POST that Twilio would make to a webhook
// whose public URL is signedURL, sent instead to target (a test server's
// address, for example http://127.0.0.1:port/sms/twilio). The signature is
// computed over signedURL, as Twilio computes it over the URL it was
// configured with.
func NewSignedRequest(ctx context.Context, authToken, signedURL, target string, params url.Values) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, strings.NewReader(params.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Twilio-Signature", Sign(authToken, signedURL, params))
	req.Header.Set("User-Agent", "TwilioProxy/1.1")
	return req, nil
}

// The worked example of Twilio's security documentation: a request to
// DocURL with DocParams, signed with DocToken, carries DocSignature. Both
// the signing peer and parley's verifier are checked against it.
const (
	DocToken     = "12345"
	DocURL       = "https://mycompany.com/myapp.php?foo=1&bar=2"
	DocSignature = "0/KCTR6DLpKmkAf8muzZqo1nDgQ="
)

// DocParams returns the form of the documentation's example.
func DocParams() url.Values {
	return url.Values{
		"CallSid": {"CA1234567890ABCDE"},
		"Caller":  {"+12349013030"},
		"Digits":  {"1234"},
		"From":    {"+12349013030"},
		"To":      {"+18005551212"},
	}
}
