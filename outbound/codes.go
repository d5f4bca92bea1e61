package outbound

import (
	"context"
	"fmt"
	"strings"
	"time"

	"parley/outbound/smsfmt"
	"parley/templates"
	"parley/threads"
)

// CodeText is the data of a texted code: a sign-in code
// (sms-signin-code.txt) or a code proving a member's phone
// (sms-phone-code.txt).
type CodeText struct {
	// Code is the six-digit code; Minutes how long it works.
	Code    string
	Minutes int
}

// Templates of the texted codes, by notice kind.
const (
	signInCodeSMS = "sms-signin-code.txt"
	phoneCodeSMS  = "sms-phone-code.txt"
)

// codeTemplates names the template of each kind of code notice.
var codeTemplates = map[string]string{
	threads.NoticeSignInCode: signInCodeSMS,
	threads.NoticePhoneCode:  phoneCodeSMS,
}

func init() {
	for _, name := range codeTemplates {
		templates.Declare(name, CodeText{}, CodeText{Code: "042917", Minutes: 10})
	}
}

// sendCode texts a code (a notice of a kind in codeTemplates, the code in
// Text) from the default number (the sender's own when none is set). A
// code is asked for on purpose and limited per number and member, so it
// does not take from the daily text budget: a member over budget can still
// sign in or prove their phone.
func (s *SMS) sendCode(ctx context.Context, n threads.Notice, template string) error {
	body, err := s.o.Templates.Render(template, CodeText{Code: n.Text, Minutes: int(threads.CodeValidity / time.Minute)})
	if err != nil {
		return Permanent(err)
	}
	from := s.o.DefaultFrom
	if from == "" && len(s.o.Pool) > 0 {
		from = s.o.Pool[0]
	}
	body = smsfmt.Normalize(strings.TrimSpace(body))
	if _, err := s.o.Sender.Send(ctx, n.To, from, body); err != nil {
		return fmt.Errorf("text a %s: %w", n.Kind, err)
	}
	return nil
}
