// Package twiliosig checks that a webhook request really comes from Twilio:
// it reads the request's form body within a size limit and validates its
// X-Twilio-Signature with twilio-go's RequestValidator against the URL
// Twilio was configured to call.
package twiliosig

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/twilio/twilio-go/client"
)

// DefaultMaxBody is the body size limit Verify applies when given none.
// Twilio's SMS webhooks carry at most a 1600-character body and a few dozen
// short parameters, well under this.
const DefaultMaxBody = 64 << 10

// Errors Verify returns, to be tested with errors.Is. A webhook handler
// answers ErrMissingSignature and ErrBadSignature with 403,
// ErrBodyTooLarge with 413, ErrBadRequest with 400 and ErrConfig with 500.
var (
	// ErrMissingSignature: the request has no X-Twilio-Signature header.
	ErrMissingSignature = errors.New("no X-Twilio-Signature header")
	// ErrBadSignature: the signature does not match the URL and parameters.
	ErrBadSignature = errors.New("X-Twilio-Signature does not match")
	// ErrWrongURL: the signature matches the URL the request reached
	// rather than the configured public URL; the public URL is probably
	// misconfigured. Errors that match it match ErrBadSignature too.
	ErrWrongURL = errors.New("signed for another URL than the public URL")
	// ErrBodyTooLarge: the body is over the size limit.
	ErrBodyTooLarge = errors.New("request body too large")
	// ErrBadRequest: not a POST, not a form, a malformed form, or a
	// parameter given twice (twilio-go's validator signs one value a name).
	ErrBadRequest = errors.New("malformed webhook request")
	// ErrConfig: the public URL or the auth token is unusable.
	ErrConfig = errors.New("bad webhook configuration")
)

// Verify reads r's form body, at most maxBody bytes (DefaultMaxBody when
// maxBody is 0 or less), and checks its X-Twilio-Signature against
// publicURL joined with r's path and query, with authToken as the key. It
// returns the form parameters when the signature is Twilio's.
//
// publicURL is the scheme and host Twilio calls, with any path prefix that
// a reverse proxy strips before parley sees the request, such as
// "https://parley.example.com"; r's path and query are appended as the
// request carried them. twilio-go accepts the signature with or without the
// scheme's default port in the URL.
//
// Verify consumes r.Body. It never reports why a signature failed beyond
// the sentinel errors, so its errors are safe to log.
func Verify(r *http.Request, publicURL string, authToken string, maxBody int64) (url.Values, error) {
	base, err := checkPublicURL(publicURL)
	if err != nil {
		return nil, err
	}
	if authToken == "" {
		return nil, fmt.Errorf("twilio webhook: %w: empty auth token", ErrConfig)
	}
	if maxBody <= 0 {
		maxBody = DefaultMaxBody
	}
	if r.Method != http.MethodPost {
		return nil, fmt.Errorf("twilio webhook: %w: method %s, want POST", ErrBadRequest, r.Method)
	}
	signature := r.Header.Get("X-Twilio-Signature")
	if signature == "" {
		return nil, fmt.Errorf("twilio webhook: %w", ErrMissingSignature)
	}
	params, err := readForm(r, maxBody)
	if err != nil {
		return nil, fmt.Errorf("twilio webhook: %w", err)
	}
	single := make(map[string]string, len(params))
	for k, v := range params {
		if len(v) != 1 {
			return nil, fmt.Errorf("twilio webhook: %w: parameter %q given %d times", ErrBadRequest, k, len(v))
		}
		single[k] = v[0]
	}

	target := requestTarget(r)
	validator := client.NewRequestValidator(authToken)
	if validator.Validate(base+target, single, signature) {
		return params, nil
	}
	// Tell a misconfigured public URL apart from a forgery: the signature
	// may match the URL as this server saw it.
	for _, alt := range alternativeURLs(r, target) {
		if validator.Validate(alt, single, signature) {
			return nil, fmt.Errorf("twilio webhook: %w: %w: signed for %s, public URL is %s",
				ErrBadSignature, ErrWrongURL, alt, base)
		}
	}
	return nil, fmt.Errorf("twilio webhook: %w for %s", ErrBadSignature, base+target)
}

// checkPublicURL returns publicURL without a trailing slash, or ErrConfig
// when it is not an absolute http or https URL without query or fragment.
func checkPublicURL(publicURL string) (string, error) {
	u, err := url.Parse(publicURL)
	if err != nil {
		return "", fmt.Errorf("twilio webhook: %w: public URL: %v", ErrConfig, err)
	}
	if u.Scheme != "https" && u.Scheme != "http" || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return "", fmt.Errorf("twilio webhook: %w: public URL %q is not an http(s) origin with an optional path", ErrConfig, publicURL)
	}
	return strings.TrimRight(publicURL, "/"), nil
}

// readForm reads and parses an application/x-www-form-urlencoded body of
// at most maxBody bytes.
func readForm(r *http.Request, maxBody int64) (url.Values, error) {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || mt != "application/x-www-form-urlencoded" {
			return nil, fmt.Errorf("%w: content type %q", ErrBadRequest, ct)
		}
	}
	if r.ContentLength > maxBody {
		return nil, fmt.Errorf("%w: %d bytes, limit %d", ErrBodyTooLarge, r.ContentLength, maxBody)
	}
	if r.Body == nil {
		return url.Values{}, nil
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		return nil, fmt.Errorf("%w: reading body: %v", ErrBadRequest, err)
	}
	if int64(len(body)) > maxBody {
		return nil, fmt.Errorf("%w: over %d bytes", ErrBodyTooLarge, maxBody)
	}
	params, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, fmt.Errorf("%w: form: %v", ErrBadRequest, err)
	}
	return params, nil
}

// requestTarget is the path and query of the URL the client asked for, as
// it sent them: RequestURI when the request came from the network (so a
// handler mounted with http.StripPrefix still sees the full path), else
// built from r.URL.
func requestTarget(r *http.Request) string {
	if strings.HasPrefix(r.RequestURI, "/") {
		return r.RequestURI
	}
	return r.URL.RequestURI()
}

// alternativeURLs are the URLs the request may have been signed for when
// the public URL is wrong: this server's own host, by either scheme.
func alternativeURLs(r *http.Request, target string) []string {
	var alts []string
	for _, host := range []string{r.Header.Get("X-Forwarded-Host"), r.Host} {
		if host == "" || strings.ContainsAny(host, "/?#@ ") {
			continue
		}
		alts = append(alts, "https://"+host+target, "http://"+host+target)
	}
	return alts
}
