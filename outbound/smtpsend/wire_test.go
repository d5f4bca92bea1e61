package smtpsend

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/textproto"
	"strings"
	"testing"

	"github.com/emersion/go-smtp"
)

// FuzzWriteDotted: writeDotted writes what textproto's DotWriter writes.
func FuzzWriteDotted(f *testing.F) {
	for _, s := range []string{"", "a\r\n", ".\r\n", "a\r\n.b\r\n..\r\n", "no end", "bare\nlf\n", "\r\r\n", "x\r", ".", "\r\n.\r\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, msg []byte) {
		var want, got bytes.Buffer
		ww := bufio.NewWriter(&want)
		dw := textproto.NewWriter(ww).DotWriter()
		_, _ = dw.Write(msg)
		_ = dw.Close()
		gw := bufio.NewWriter(&got)
		if err := writeDotted(gw, msg); err != nil {
			t.Fatal(err)
		}
		_ = gw.Flush()
		if got.String() != want.String() {
			t.Errorf("writeDotted(%q)\n = %q\nwant %q", msg, got.String(), want.String())
		}
	})
}

// TestToSMTPError: a reply's enhanced status code is taken out of its
// text, on every line.
func TestToSMTPError(t *testing.T) {
	e := toSMTPError(&textproto.Error{Code: 550, Msg: "5.1.1 no such user\n5.1.1 try another"})
	if e.Code != 550 || e.EnhancedCode != [3]int{5, 1, 1} || e.Message != "no such user\ntry another" {
		t.Errorf("got %+v", e)
	}
	e = toSMTPError(&textproto.Error{Code: 451, Msg: "try again later"})
	if e.EnhancedCode != [3]int{} || e.Message != "try again later" {
		t.Errorf("got %+v", e)
	}
	if e := toSMTPError(&textproto.Error{Code: 554, Msg: "5.x.1 odd"}); !strings.HasPrefix(e.Message, "5.x.1") {
		t.Errorf("got %+v", e)
	}
}

// TestPipelinedRefusals: with one recipient MAIL, RCPT and DATA go out
// together (the test server offers PIPELINING); a refusal of any of them
// is reported for its command, nothing is sent, and the session stays in
// step for the next message.
func TestPipelinedRefusals(t *testing.T) {
	ts := startServer(t, serverOptions{})
	c := newTestClient(t, ts.Addr, Options{})
	for _, tt := range []struct {
		stage, op string
		code      int
	}{{"mail", "mail", 451}, {"rcpt:gone@example.test", "rcpt", 550}, {"data", "data", 554}} {
		ts.Fault(tt.stage, tt.code, smtp.EnhancedCode{tt.code / 100, 1, 1}, "no")
		err := c.Send(t.Context(), "a@example.test", []string{"gone@example.test"}, testMsg("p"))
		e := asError(t, err)
		if e.Op != tt.op || e.Code != tt.code {
			t.Errorf("%s refused: got %#v", tt.stage, e)
		}
		if tt.op == "rcpt" && e.Rcpt != "gone@example.test" {
			t.Errorf("rcpt refused: Rcpt %q", e.Rcpt)
		}
		ts.Fault(tt.stage, 0, smtp.EnhancedCode{}, "")
	}
	keptAfterRefusals(t, ts, c, "gone@example.test")
}

// scripted serves one connection on a loopback port with script, which
// speaks the server's side through nc and r, and returns the address and
// what script returns, once it has.
func scripted(t *testing.T, script func(nc net.Conn, r *bufio.Reader) string) (addr string, result <-chan string) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	out := make(chan string, 1)
	go func() {
		nc, err := l.Accept()
		if err != nil {
			out <- err.Error()
			return
		}
		defer nc.Close()
		out <- script(nc, bufio.NewReader(nc))
	}()
	return l.Addr().String(), out
}

// TestPipelining: to a server that offers PIPELINING, MAIL, RCPT and DATA
// arrive in one write; to one that does not, one at a time.
func TestPipelining(t *testing.T) {
	for _, offer := range []bool{true, false} {
		addr, got := scripted(t, func(nc net.Conn, r *bufio.Reader) string {
			line := func() string { s, _ := r.ReadString('\n'); return s }
			fmt.Fprint(nc, "220 fake\r\n")
			line() // EHLO
			if offer {
				fmt.Fprint(nc, "250-fake\r\n250 PIPELINING\r\n")
			} else {
				fmt.Fprint(nc, "250 fake\r\n")
			}
			mail := line()
			defer fmt.Fprint(nc, "421 closing\r\n")
			return fmt.Sprintf("%q then %d bytes waiting", mail, r.Buffered())
		})
		c := newTestClient(t, addr, Options{TLS: NoTLS})
		_ = c.Send(t.Context(), "a@example.test", []string{"b@example.test"}, testMsg("p"))
		want := `"MAIL FROM:<a@example.test>\r\n" then 0 bytes waiting`
		if offer {
			want = `"MAIL FROM:<a@example.test>\r\n" then 32 bytes waiting` // RCPT TO:<b@example.test>, DATA
		}
		if s := <-got; s != want {
			t.Errorf("PIPELINING offered %v: %s, want %s", offer, s, want)
		}
	}
}

// TestPipelinedDataAfterRefusal: a server that refuses the recipient but
// then takes DATA waits for a body the client will not send: the client
// reports the refusal and closes the connection rather than reuse it.
func TestPipelinedDataAfterRefusal(t *testing.T) {
	addr, after := scripted(t, func(nc net.Conn, r *bufio.Reader) string {
		fmt.Fprint(nc, "220 fake\r\n")
		_, _ = r.ReadString('\n') // EHLO
		fmt.Fprint(nc, "250-fake\r\n250 PIPELINING\r\n")
		for range 3 { // MAIL, RCPT, DATA
			_, _ = r.ReadString('\n')
		}
		fmt.Fprint(nc, "250 ok\r\n550 5.1.1 no such user\r\n354 go ahead\r\n")
		rest, err := r.ReadString('\n')
		return fmt.Sprintf("%q %v", rest, err)
	})
	c := newTestClient(t, addr, Options{TLS: NoTLS})
	err := c.Send(t.Context(), "a@example.test", []string{"b@example.test"}, testMsg("p"))
	if e := asError(t, err); e.Op != "rcpt" || e.Code != 550 || e.Rcpt != "b@example.test" {
		t.Errorf("got %#v, want the 550 for b@example.test", e)
	}
	if s := <-after; s != `"" EOF` {
		t.Errorf("after the refusal the server read %s, want the connection closed", s)
	}
}

// TestLongReplyLine: a reply line longer than maxReplyLine fails the
// session rather than fill memory.
func TestLongReplyLine(t *testing.T) {
	addr, _ := scripted(t, func(nc net.Conn, r *bufio.Reader) string {
		fmt.Fprint(nc, "220 "+strings.Repeat("x", 3*maxReplyLine)+"\r\n")
		s, _ := r.ReadString('\n')
		return s
	})
	c := newTestClient(t, addr, Options{TLS: NoTLS})
	err := c.Send(t.Context(), "a@example.test", []string{"b@example.test"}, testMsg("p"))
	if e := asError(t, err); e.Op != "dial" || !errors.Is(err, errLongReply) {
		t.Errorf("got %v, want a dial error for the long line", err)
	}
}
