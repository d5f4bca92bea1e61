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

// SignInCodeText is the data of a texted sign-in code (sms-signin-code.txt).
type SignInCodeText struct {
	// Code is the six-digit code; Minutes how long it works.
	Code    string
	Minutes int
}

const signInCodeSMS = "sms-signin-code.txt"

func init() {
	templates.Declare(signInCodeSMS, SignInCodeText{}, SignInCodeText{Code: "042917", Minutes: 10})
}

// sendSignInCode texts a sign-in code (threads.NoticeSignInCode, the code
// in Text) from the default number (the sender's own when none is set). It is asked for on purpose and limited
// per number like the sign-in link, so it does not take from the daily
// text budget: a member over budget can still sign in.
func (s *SMS) sendSignInCode(ctx context.Context, n threads.Notice) error {
	body, err := s.o.Templates.Render(signInCodeSMS, SignInCodeText{Code: n.Text, Minutes: int(threads.CodeValidity / time.Minute)})
	if err != nil {
		return Permanent(err)
	}
	from := s.o.DefaultFrom
	if from == "" && len(s.o.Pool) > 0 {
		from = s.o.Pool[0]
	}
	body = smsfmt.Normalize(strings.TrimSpace(body))
	if _, err := s.o.Sender.Send(ctx, n.To, from, body); err != nil {
		return fmt.Errorf("text a sign-in code: %w", err)
	}
	return nil
}
