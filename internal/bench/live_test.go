package bench

import (
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

// TestFollowStream: the live figure's client reports the stream open at
// its first comment and counts each line event, however the response is
// cut into reads (here every piece size from 1 byte up), stops at the
// first line when asked to, and reports a refused stream with its status.
func TestFollowStream(t *testing.T) {
	stream := "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n" +
		"17\r\n: parley live stream\n\n\r\n" +
		"40\r\nid: 1-0\nevent: line\ndata: {\"text\":\"event: line\"}\n\n\r\n" +
		"15\r\n: heartbeat\n\n\r\n" +
		"40\r\nid: 2-0\nevent: presence\ndata: {}\n\n\r\n" +
		"40\r\nid: 3-0\nevent: line\ndata: {}\n\n\r\n"
	for _, tc := range []struct {
		name       string
		response   string
		piece      int
		wantErr    string
		wantEvents int
		firstOnly  bool // saw asks for no more after the first line
	}{
		{"whole", stream, len(stream), "", 2, false},
		{"bytes", stream, 1, "", 2, false},
		{"pieces of 7", stream, 7, "", 2, false},
		{"pieces of 500", stream, 500, "", 2, false},
		{"first line only", stream, 7, "", 1, true},
		{"refused", "HTTP/1.1 429 Too Many Requests\r\nContent-Length: 0\r\n\r\n", 5, "429 Too Many Requests", 0, false},
		{"closed early", "HTTP/1.1 200 OK\r\n", 3, "EOF", 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			server, client := net.Pipe()
			defer client.Close() // ends the server's writes when the client stopped reading
			go func() {
				defer server.Close()
				req := make([]byte, 1024)
				if _, err := server.Read(req); err != nil || !strings.HasPrefix(string(req), "GET /api/stream ") {
					return
				}
				for s := tc.response; s != ""; {
					n := min(tc.piece, len(s))
					if _, err := server.Write([]byte(s[:n])); err != nil {
						return
					}
					s = s[n:]
				}
			}()
			ready := make(chan error, 1)
			events := 0
			done := make(chan error, 1)
			go func() {
				done <- followStream(client, []byte("GET /api/stream HTTP/1.1\r\n\r\n"), ready, func() bool {
					events++
					return !tc.firstOnly
				})
			}()
			var err error
			select {
			case err = <-done:
			case <-time.After(5 * time.Second):
				t.Fatal("followStream did not return at the end of the stream")
			}
			opened := len(ready) == 1
			if tc.wantErr == "" && (err != nil || !opened || events != tc.wantEvents) {
				t.Errorf("err %v, opened %v, %d line events; want nil, true, %d", err, opened, events, tc.wantEvents)
			}
			if tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr) || opened) {
				t.Errorf("err %v, opened %v; want an error with %q", err, opened, tc.wantErr)
			}
		})
	}
}

// TestClientProcess: the live figure's clients, started as a child
// process of this test binary, open every stream with the token, report
// ready, and report one receipt per client once the line comes, each
// measured from the go mark; a bad spec is refused with its form.
func TestClientProcess(t *testing.T) {
	const n = 3
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	send := make(chan struct{})
	authorized := make(chan bool, n)
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				req := make([]byte, 1024)
				k, _ := c.Read(req)
				authorized <- strings.Contains(string(req[:k]), "Authorization: Bearer tok-1\r\n")
				_, _ = c.Write([]byte("HTTP/1.1 200 OK\r\n\r\n: parley live stream\n\n"))
				<-send
				_, _ = c.Write([]byte("id: 1-0\nevent: line\ndata: {}\n\n"))
				_, _ = c.Read(req) // until the child closes
			}()
		}
	}()
	ctx := t.Context()
	clients, err := startLiveClients(ctx, l.Addr().String(), "tok-1", n)
	if err != nil {
		t.Fatal(err)
	}
	defer clients.close()
	for range n {
		if !<-authorized {
			t.Error("a stream was opened without the token")
		}
	}
	mark := time.Now()
	if err := clients.goMark(mark); err != nil {
		t.Fatal(err)
	}
	close(send)
	got, err := clients.receipts()
	if err != nil || len(got) != n {
		t.Fatalf("receipts %v, %v; want %d", got, err, n)
	}
	for _, d := range got {
		if d < 0 || d > time.Since(mark) {
			t.Errorf("receipt %s is not within the %s since the mark", d, time.Since(mark))
		}
	}

	for _, spec := range []string{"", "127.0.0.1:1", "127.0.0.1:1,x,tok", "127.0.0.1:1,0,tok", "127.0.0.1:1,2,"} {
		if err := liveChild(ctx, spec, strings.NewReader(""), io.Discard); err == nil || !strings.Contains(err.Error(), "ADDR,N,TOKEN") {
			t.Errorf("spec %q: %v, want the form in the error", spec, err)
		}
	}
}
