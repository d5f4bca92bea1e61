package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"parley/threads"
)

// claimPhoneCode waits for the phone code texted to phone and returns it.
func (e *webEnv) claimPhoneCode(phone string) string {
	e.t.Helper()
	return e.claimText(threads.NoticePhoneCode, phone)
}

// setPhone gives user the phone through the API, as a member does.
func (e *webEnv) setPhone(user, phone string) {
	e.t.Helper()
	if st, body := e.do(user, "PUT", "/api/me", map[string]any{"phone": phone}); st != 200 {
		e.t.Fatalf("PUT /api/me phone: %d %s", st, body)
	}
}

// verified reads GET /api/me's phone_verified for user.
func (e *webEnv) verified(user string) bool {
	e.t.Helper()
	st, body := e.do(user, "GET", "/api/me", nil)
	var me meView
	if st != 200 || json.Unmarshal([]byte(body), &me) != nil {
		e.t.Fatalf("GET /api/me: %d %s", st, body)
	}
	return me.PhoneVerified
}

// otherCode is code with its last digit moved on by i (1-9): never code.
func otherCode(code string, i int) string {
	w := []byte(code)
	w[5] = '0' + (w[5]-'0'+byte(i))%10
	return string(w)
}

// TestPhoneVerifyAPI: a member who adds a phone gets it unverified, asks
// for a code, types it back and has a verified phone; each mistake on the
// way gets its own JSON error; changing the number clears verification.
func TestPhoneVerifyAPI(t *testing.T) {
	e := newWebEnv(t, nil)
	st, body := e.do("alice", "POST", "/api/me/phone/verify", nil)
	e.want(409, "no_phone", st, body, "code without a phone")
	st, body = e.do("alice", "POST", "/api/me/phone/confirm", map[string]string{"code": "123456"})
	e.want(409, "no_phone", st, body, "confirm without a phone")

	e.setPhone("alice", "+1 555 000 1111")
	if e.verified("alice") {
		t.Fatal("a phone the member typed is verified")
	}
	st, body = e.do("alice", "POST", "/api/me/phone/confirm", map[string]string{"code": "123456"})
	e.want(400, "no_code", st, body, "confirm before asking")
	st, body = e.do("alice", "POST", "/api/me/phone/verify", nil)
	var sent phoneCodeSent
	if st != 202 || json.Unmarshal([]byte(body), &sent) != nil || sent.Phone != "+15550001111" || sent.ExpiresIn != 600 || sent.Tries != threads.MaxCodeTries {
		t.Fatalf("ask for a code: %d %s", st, body)
	}
	code := e.claimPhoneCode("+15550001111")
	for _, c := range []struct {
		name       string
		body       string
		status     int
		code, says string
	}{
		{"not JSON", `code=1`, 400, "bad_json", ""},
		{"another field", `{"code":"` + code + `","user":"bob"}`, 400, "bad_json", ""},
		{"not six digits", `{"code":"12345"}`, 400, "invalid", "6 digits"},
		{"wrong", `{"code":"` + otherCode(code, 1) + `"}`, 400, "wrong_code", "4 tries left"},
	} {
		st, body := e.do("alice", "POST", "/api/me/phone/confirm", c.body)
		e.want(c.status, c.code, st, body, c.name)
		if !strings.Contains(body, c.says) {
			t.Errorf("%s: %s does not say %q", c.name, body, c.says)
		}
	}
	// Typed with a space, the right code verifies the phone.
	st, body = e.do("alice", "POST", "/api/me/phone/confirm", map[string]string{"code": code[:3] + " " + code[3:]})
	var me meView
	if st != 200 || json.Unmarshal([]byte(body), &me) != nil || !me.PhoneVerified || me.Phone != "+15550001111" {
		t.Fatalf("right code: %d %s", st, body)
	}
	st, body = e.do("alice", "POST", "/api/me/phone/verify", nil)
	e.want(409, "already_verified", st, body, "code for a verified phone")
	st, body = e.do("alice", "POST", "/api/me/phone/confirm", map[string]string{"code": code})
	e.want(409, "already_verified", st, body, "the code again")
	// Saving the same number keeps it verified; a new one needs a new code.
	e.setPhone("alice", "+15550001111")
	if !e.verified("alice") {
		t.Fatal("an unchanged number lost its verification")
	}
	e.setPhone("alice", "+15550002222")
	if e.verified("alice") {
		t.Fatal("a new number kept the old one's verification")
	}
	st, body = e.do("alice", "POST", "/api/me/phone/confirm", map[string]string{"code": code})
	e.want(400, "no_code", st, body, "the old number's code")
	// Scripts without a token get nothing.
	st, body = e.do("", "POST", "/api/me/phone/verify", nil)
	e.want(401, "unauthenticated", st, body, "no token")
}

// TestPhoneVerifyAttacks: one member cannot verify another's phone with
// the code texted to it, and guessing is capped: MaxCodeTries guesses
// per code and MaxCodesPerHour codes an hour, then 429s.
func TestPhoneVerifyAttacks(t *testing.T) {
	e := newWebEnv(t, nil)
	e.setPhone("alice", "+15550001111")
	e.setPhone("bob", "+15550002222")
	if st, body := e.do("alice", "POST", "/api/me/phone/verify", nil); st != 202 {
		t.Fatalf("alice asks: %d %s", st, body)
	}
	aliceCode := e.claimPhoneCode("+15550001111")

	// Bob types alice's code: no code was sent to his number.
	st, body := e.do("bob", "POST", "/api/me/phone/confirm", map[string]string{"code": aliceCode})
	e.want(400, "no_code", st, body, "bob with alice's code")
	// With a code of his own, alice's is just wrong for him.
	if st, body := e.do("bob", "POST", "/api/me/phone/verify", nil); st != 202 {
		t.Fatalf("bob asks: %d %s", st, body)
	}
	if bobCode := e.claimPhoneCode("+15550002222"); bobCode != aliceCode {
		st, body = e.do("bob", "POST", "/api/me/phone/confirm", map[string]string{"code": aliceCode})
		e.want(400, "wrong_code", st, body, "bob with alice's code, his own pending")
	}
	if e.verified("bob") {
		t.Fatal("bob's phone verified with alice's code")
	}
	// Setting her number is refused: it is hers.
	st, body = e.do("bob", "PUT", "/api/me", map[string]any{"phone": "+15550001111"})
	e.want(409, "exists", st, body, "bob takes alice's number")
	// Alice's code still works for her, once.
	if st, body := e.do("alice", "POST", "/api/me/phone/confirm", map[string]string{"code": aliceCode}); st != 200 {
		t.Fatalf("alice's own code: %d %s", st, body)
	}

	// Brute force: carol guesses on and on, asking for new codes as each
	// burns. Guesses checked stop at codes an hour × tries per code.
	e.setPhone("carol", "+15550003333")
	checked, codes, right := 0, 0, ""
	for range 100 {
		if right == "" {
			st, body := e.do("carol", "POST", "/api/me/phone/verify", nil)
			if st == 429 {
				e.want(429, "rate_limited", st, body, "codes past the hour's share")
				break
			}
			if st != 202 {
				t.Fatalf("carol asks: %d %s", st, body)
			}
			codes++
			right = e.claimPhoneCode("+15550003333")
		}
		st, body := e.do("carol", "POST", "/api/me/phone/confirm", map[string]string{"code": otherCode(right, 1+checked%9)})
		switch {
		case st == 400 && strings.Contains(body, `"wrong_code"`):
			checked++
		case st == 429 && strings.Contains(body, `"too_many_tries"`):
			checked++
			right = ""
		default:
			t.Fatalf("guess %d: %d %s", checked, st, body)
		}
	}
	if codes != threads.MaxCodesPerHour || checked != threads.MaxCodesPerHour*threads.MaxCodeTries {
		t.Fatalf("%d codes, %d guesses checked; want %d and %d", codes, checked, threads.MaxCodesPerHour, threads.MaxCodesPerHour*threads.MaxCodeTries)
	}
	req, _ := http.NewRequest("POST", e.srv.URL+"/api/me/phone/verify", nil)
	req.Header.Set("Authorization", "Bearer "+e.tokens["carol"])
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 429 || res.Header.Get("Retry-After") == "" {
		t.Fatalf("past the share: %d, Retry-After %q", res.StatusCode, res.Header.Get("Retry-After"))
	}
	if e.verified("carol") {
		t.Fatal("guessing verified carol's phone")
	}
}

// TestPhoneVerifyPage: beside an unverified phone the profile page has a
// "Send code" button and a code field; a wrong code shows why on the page;
// the right one shows the phone verified, with no form left.
func TestPhoneVerifyPage(t *testing.T) {
	e := newWebEnv(t, nil)
	b := e.browser("alice")
	_, page := b.fetch(t, "GET", e.srv.URL+"/me", nil)
	if strings.Contains(page, "Send code") {
		t.Fatal("a Send code button without a phone")
	}
	csrf := formToken(t, page)
	form := url.Values{"csrf": {csrf}, "name": {"Alice"}, "phone": {"+15550001111"}}
	if res, _ := b.fetch(t, "POST", e.srv.URL+"/me", form); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("save the phone: %d", res.StatusCode)
	}
	_, page = b.fetch(t, "GET", e.srv.URL+"/me", nil)
	if !strings.Contains(page, `id="phone-send-button"`) || !strings.Contains(page, `id="phone-code"`) || !strings.Contains(text(page), "Not verified") {
		t.Fatalf("no verification beside the phone:\n%s", text(page))
	}
	if res, _ := b.fetch(t, "POST", e.srv.URL+"/me/phone/verify", url.Values{}); res.StatusCode != http.StatusForbidden {
		t.Fatalf("send without the CSRF token: %d", res.StatusCode)
	}
	res, _ := b.fetch(t, "POST", e.srv.URL+"/me/phone/verify", url.Values{"csrf": {csrf}})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/me?phone=sent" {
		t.Fatalf("send code: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	_, page = b.fetch(t, "GET", e.srv.URL+"/me?phone=sent", nil)
	if !strings.Contains(text(page), "A code is on its way to +15550001111") {
		t.Errorf("no notice of the code sent:\n%s", text(page))
	}
	code := e.claimPhoneCode("+15550001111")
	res, page = b.fetch(t, "POST", e.srv.URL+"/me/phone/confirm", url.Values{"csrf": {csrf}, "code": {otherCode(code, 3)}})
	if res.StatusCode != 400 || !strings.Contains(text(page), "the code is wrong: 4 tries left") || !strings.Contains(page, `id="phone-code"`) {
		t.Fatalf("wrong code: %d\n%s", res.StatusCode, text(page))
	}
	res, _ = b.fetch(t, "POST", e.srv.URL+"/me/phone/confirm", url.Values{"csrf": {csrf}, "code": {code}})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/me?phone=verified" {
		t.Fatalf("right code: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	_, page = b.fetch(t, "GET", e.srv.URL+"/me?phone=verified", nil)
	if !strings.Contains(text(page), "Your phone is verified.") || !strings.Contains(text(page), "Verified: texts from parley go to it") ||
		strings.Contains(page, "Send code") {
		t.Fatalf("verified page:\n%s", text(page))
	}
}

// TestCodeErrorsClassified: every refusal of a texted code maps to its
// own status and code, with a message the member can act on.
func TestCodeErrorsClassified(t *testing.T) {
	for _, c := range []struct {
		err    error
		status int
		code   string
	}{
		{fmt.Errorf("%w: 2 tries left", threads.ErrCodeWrong), 400, "wrong_code"},
		{threads.ErrCodeExpired, 400, "code_expired"},
		{threads.ErrNoCode, 400, "no_code"},
		{threads.ErrCodeBurned, 429, "too_many_tries"},
		{threads.ErrNoPhone, 409, "no_phone"},
		{threads.ErrPhoneVerified, 409, "already_verified"},
		{fmt.Errorf("ask: %w", &threads.TooManyCodesError{Wait: 90 * time.Second}), 429, "rate_limited"},
	} {
		he := classify(c.err)
		if he.status != c.status || he.code != c.code || he.msg == "" {
			t.Errorf("%v: %d %s %q; want %d %s", c.err, he.status, he.code, he.msg, c.status, c.code)
		}
	}
	if he := classify(&threads.TooManyCodesError{Wait: 90 * time.Second}); he.retryAfter != 90*time.Second {
		t.Errorf("retry after %s", he.retryAfter)
	}
}
