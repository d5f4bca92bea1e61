package twiliosms

import (
	"errors"
	"testing"
)

func TestKindOf(t *testing.T) {
	tests := []struct {
		status, code int
		want         Kind
	}{
		{400, 21610, KindOptedOut},
		{0, 21610, KindOptedOut},
		{400, 21211, KindBadNumber},
		{400, 21614, KindBadNumber},
		{400, 21612, KindBadNumber},
		{0, 30003, KindUnreachable},
		{0, 30005, KindUnreachable},
		{0, 30008, KindUnreachable},
		{429, 20429, KindRate},
		{0, 30001, KindRate},
		{400, 21611, KindRate},
		{429, 0, KindRate},
		{500, 0, KindTransient},
		{503, 20503, KindTransient},
		{401, 20003, KindAccount},
		{400, 21606, KindAccount},
		{0, 30002, KindAccount},
		{403, 0, KindAccount},
		{400, 21617, KindOther},
		{0, 0, KindOther},
	}
	for _, tt := range tests {
		if got := KindOf(tt.status, tt.code); got != tt.want {
			t.Errorf("KindOf(%d, %d) = %v, want %v", tt.status, tt.code, got, tt.want)
		}
	}
}

func TestErrorString(t *testing.T) {
	tests := []struct {
		err  *Error
		want string
	}{
		{newError(400, 21610, "Attempt to send to unsubscribed recipient", "", nil),
			"HTTP 400, error 21610, Attempt to send to unsubscribed recipient (permanent)"},
		{newError(429, 20429, "Too Many Requests", "", nil), "HTTP 429, error 20429, Too Many Requests (temporary)"},
		{&Error{Temporary: true, Err: errors.New("connection refused")}, "connection refused (temporary)"},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
	}
	inner := errors.New("inner")
	if !errors.Is(&Error{Err: inner}, inner) {
		t.Error("Error does not unwrap")
	}
	for k := KindOther; k <= KindAccount; k++ {
		if k.String() == "" || (k != KindOther && k.String() == "other") {
			t.Errorf("Kind(%d).String() = %q", k, k.String())
		}
	}
}
