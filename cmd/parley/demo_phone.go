package main

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"parley/threads"
	"parley/web"
)

// demoNewPhone is the number dave gives on his profile.
const demoNewPhone = "+15550004444"

// demoCode finds the code in a texted code.
var demoCode = regexp.MustCompile(`\b[0-9]{6}\b`)

// phoneStep: dave types a phone on his profile (as the page and PUT
// /api/me do, so it is not verified), asks for a code as the page's "Send
// code" button does, and types back the code the worker texted to it.
func (d *demo) phoneStep(ctx context.Context) error {
	if _, err := d.st.Directory.UpdateUser(ctx, "dave", func(u *threads.User) error {
		u.Phone, u.PhoneVerified = demoNewPhone, false
		return nil
	}); err != nil {
		return fmt.Errorf("dave's phone: %w", err)
	}
	d.printf("\nA phone proves itself: dave types %s on his profile. Until he proves it, parley texts it\n"+
		"nothing but a code and trusts no text from it. He presses Send code (POST /api/me/phone/verify):\n", demoNewPhone)
	if _, err := web.QueuePhoneCode(ctx, d.st.Auth, d.st.Queue, "dave"); err != nil {
		return fmt.Errorf("dave's phone code: %w", err)
	}
	var code string
	if err := d.waitOutbox(ctx, func(e threads.OutboxEntry) bool {
		if e.Channel == threads.SMS && e.To == demoNewPhone && strings.Contains(e.Body, "verify this phone") {
			code = demoCode.FindString(e.Body)
		}
		return code != ""
	}, "dave's phone code"); err != nil {
		return err
	}
	u, err := d.st.Auth.ConfirmPhone(ctx, "dave", code)
	if err != nil {
		return fmt.Errorf("dave types his code: %w", err)
	}
	d.printf("  He types %s beside the number (POST /api/me/phone/confirm): verified=%v, and the audit log\n"+
		"  says so (user.phone_verified). A wrong code says how many of its %d tries are left; a new number\n"+
		"  needs a new code.\n", code, u.PhoneVerified, threads.MaxCodeTries)
	return nil
}
