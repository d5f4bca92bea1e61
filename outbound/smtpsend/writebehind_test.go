package smtpsend

import (
	"bytes"
	"io"
	"net"
	"testing"
	"time"
)

// countingConn counts the writes that reach the network.
type countingConn struct {
	net.Conn
	writes int
}

func (c *countingConn) Write(p []byte) (int, error) {
	c.writes++
	return c.Conn.Write(p)
}

// TestWriteBehind: writes are held until the next read and then leave in
// one write, in order; a large write is not held.
func TestWriteBehind(t *testing.T) {
	client, server := net.Pipe()
	defer server.Close()
	cc := &countingConn{Conn: client}
	w := newWriteBehind(cc)
	defer w.Close()

	got := make(chan []byte, 1)
	go func() {
		buf := make([]byte, 64)
		n, _ := io.ReadAtLeast(server, buf, len("MAIL FROM:<a@b>\r\nbody\r\n.\r\n"))
		got <- buf[:n]
		_, _ = server.Write([]byte("250 ok\r\n"))
	}()
	for _, s := range []string{"MAIL FROM:<a@b>\r\n", "body\r\n", ".\r\n"} {
		if _, err := w.Write([]byte(s)); err != nil {
			t.Fatal(err)
		}
	}
	if cc.writes != 0 {
		t.Fatalf("%d writes reached the network before a read", cc.writes)
	}
	reply := make([]byte, 16)
	if err := w.SetReadDeadline(time.Now().Add(5 * time.Second)); err != nil {
		t.Fatal(err)
	}
	n, err := w.Read(reply)
	if err != nil {
		t.Fatal(err)
	}
	if string(reply[:n]) != "250 ok\r\n" || cc.writes != 1 {
		t.Errorf("read %q after %d writes, want the reply after 1", reply[:n], cc.writes)
	}
	if b := <-got; !bytes.Equal(b, []byte("MAIL FROM:<a@b>\r\nbody\r\n.\r\n")) {
		t.Errorf("server got %q", b)
	}

	big := bytes.Repeat([]byte("x"), maxPending+1)
	go func() { _, _ = io.CopyN(io.Discard, server, int64(len(big))) }()
	if _, err := w.Write(big); err != nil {
		t.Fatal(err)
	}
	if cc.writes != 2 {
		t.Errorf("a write over the limit was held (%d writes)", cc.writes)
	}
}
