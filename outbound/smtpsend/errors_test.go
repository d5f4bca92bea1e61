package smtpsend

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"
	"testing"

	"github.com/emersion/go-smtp"
)

func TestIsTemporary(t *testing.T) {
	opErr := func(op string, errno syscall.Errno) error {
		return &net.OpError{Op: op, Net: "tcp", Err: &os.SyscallError{Syscall: op, Err: errno}}
	}
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"Error temporary", &Error{Op: "rcpt", Code: 451, Temporary: true}, true},
		{"Error permanent", &Error{Op: "rcpt", Code: 550}, false},
		{"wrapped Error", fmt.Errorf("delivery 7: %w", &Error{Op: "data", Temporary: true}), true},
		{"SMTP 421", &smtp.SMTPError{Code: 421}, true},
		{"SMTP 451", &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}}, true},
		{"SMTP 550", &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}}, false},
		{"SMTP 554", &smtp.SMTPError{Code: 554}, false},
		{"connection refused", opErr("dial", syscall.ECONNREFUSED), true},
		{"connection reset", opErr("read", syscall.ECONNRESET), true},
		{"broken pipe", opErr("write", syscall.EPIPE), true},
		{"network unreachable", opErr("dial", syscall.ENETUNREACH), true},
		{"i/o timeout", &net.OpError{Op: "read", Err: os.ErrDeadlineExceeded}, true},
		{"EOF", fmt.Errorf("read greeting: %w", io.EOF), true},
		{"DNS temporary", &net.DNSError{Err: "server misbehaving", Name: "smtp.example.com", IsTemporary: true}, true},
		{"DNS timeout", &net.DNSError{Err: "i/o timeout", Name: "smtp.example.com", IsTimeout: true}, true},
		{"DNS not found", &net.DNSError{Err: "no such host", Name: "smtp.example.com", IsNotFound: true}, false},
		{"context deadline", context.DeadlineExceeded, true},
		{"context canceled", fmt.Errorf("send: %w", context.Canceled), true},
		{"unknown", errors.New("something else"), false},
		{"closed client", ErrClosed, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := IsTemporary(tt.err); got != tt.want {
				t.Errorf("IsTemporary(%v) = %v, want %v", tt.err, got, tt.want)
			}
		})
	}
}

func TestWrapErr(t *testing.T) {
	tests := []struct {
		name string
		op   string
		err  error
		want Error
	}{
		{"4xx", "rcpt", &smtp.SMTPError{Code: 450, EnhancedCode: smtp.EnhancedCode{4, 2, 0}, Message: "busy"},
			Error{Op: "rcpt", Code: 450, Enhanced: [3]int{4, 2, 0}, Message: "busy", Temporary: true}},
		{"5xx", "data", &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 6, 0}, Message: "bad"},
			Error{Op: "data", Code: 554, Enhanced: [3]int{5, 6, 0}, Message: "bad"}},
		{"no enhanced code", "mail", &smtp.SMTPError{Code: 550, EnhancedCode: smtp.NoEnhancedCode, Message: "no"},
			Error{Op: "mail", Code: 550, Message: "no"}},
		{"odd code is not permanent", "mail", &smtp.SMTPError{Code: 354, Message: "huh"},
			Error{Op: "mail", Code: 354, Message: "huh", Temporary: true}},
		{"network", "data", io.ErrUnexpectedEOF, Error{Op: "data", Temporary: true}},
		{"unknown failure of the connection", "mail", errors.New("textproto: short response"),
			Error{Op: "mail", Temporary: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := wrapErr(tt.op, tt.err)
			if got.Err != tt.err {
				t.Errorf("Err = %v, want the original error", got.Err)
			}
			got.Err = nil
			if *got != tt.want {
				t.Errorf("wrapErr = %#v, want %#v", *got, tt.want)
			}
		})
	}
	e := &Error{Op: "rcpt", Temporary: true}
	if wrapErr("data", e) != e {
		t.Error("wrapErr re-wrapped an *Error")
	}
}

func TestErrorString(t *testing.T) {
	tests := []struct {
		err  *Error
		want string
	}{
		{&Error{Op: "rcpt", Rcpt: "b@example.test", Code: 550, Enhanced: [3]int{5, 1, 1}, Message: "no such user"},
			"smtpsend: rcpt <b@example.test>: 550 5.1.1 no such user (permanent)"},
		{&Error{Op: "mail", Code: 451, Message: "try later", Temporary: true},
			"smtpsend: mail: 451 try later (temporary)"},
		{&Error{Op: "dial", Err: errors.New("connection refused"), Temporary: true},
			"smtpsend: dial: connection refused (temporary)"},
		{&Error{Op: "pool", Message: "waiting for a free connection", Err: context.Canceled, Temporary: true},
			"smtpsend: pool: waiting for a free connection: context canceled (temporary)"},
		{&Error{Op: "tls", Message: "smarthost does not offer STARTTLS"},
			"smtpsend: tls: smarthost does not offer STARTTLS (permanent)"},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
	}
}
