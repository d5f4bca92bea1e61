package smtpserver

import (
	"net"
	"testing"
)

// TestWriteJoinsReplyLines: the continuation lines of a multi-line reply
// go out with its last line in one write; single lines and what is not a
// reply line (a TLS record) go out at once.
func TestWriteJoinsReplyLines(t *testing.T) {
	w := &countingConn{}
	c := &conn{Conn: w}
	for _, l := range []string{"250-parley.test\r\n", "250-PIPELINING\r\n", "250-8BITMIME\r\n", "250 SIZE 10485760\r\n"} {
		if n, err := c.Write([]byte(l)); n != len(l) || err != nil {
			t.Fatalf("Write(%q) = %d, %v", l, n, err)
		}
	}
	if len(w.writes) != 1 || w.writes[0] != "250-parley.test\r\n250-PIPELINING\r\n250-8BITMIME\r\n250 SIZE 10485760\r\n" {
		t.Fatalf("EHLO reply written as %q, want one write", w.writes)
	}
	_, _ = c.Write([]byte("354 Go ahead\r\n"))
	record := []byte{0x17, 0x03, 0x03, 0x00, 0x02, '-', '\r', '\n'}
	_, _ = c.Write(record)
	if len(w.writes) != 3 {
		t.Fatalf("writes %q, want a single line and a TLS record each written at once", w.writes)
	}

	for _, tc := range []struct {
		line string
		want bool
	}{
		{"250-PIPELINING\r\n", true},
		{"250 PIPELINING\r\n", false},
		{"250-\r\n", true}, // the text may be empty (RFC 5321 section 4.2)
		{"25a-x\r\n", false},
		{"250-a\r\n250-b\r\n", false}, // two lines: written as they came
		{"250-no end", false},
		{"\x17\x03\x03-x\r\n", false},
	} {
		if got := isContinuation([]byte(tc.line)); got != tc.want {
			t.Errorf("isContinuation(%q) = %v, want %v", tc.line, got, tc.want)
		}
	}
}

// countingConn records each Write (and has no other method).
type countingConn struct {
	net.Conn
	writes []string
}

func (c *countingConn) Write(b []byte) (int, error) {
	c.writes = append(c.writes, string(b))
	return len(b), nil
}
