package smtpsend

import (
	"bytes"
	"fmt"
	"log/slog"
	"os/exec"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	"parley/internal/testpeers/postfixpeer"
)

// benchMsg is a message with a small header and a body of bodyLen bytes in
// 78-character lines, like smtp-source's -l payload.
func benchMsg(bodyLen int) []byte {
	var b bytes.Buffer
	b.WriteString("From: room@parley.test\r\nTo: bob@example.test\r\nSubject: bench\r\n" +
		"Date: Wed, 25 Nov 2026 04:00:00 +0000\r\nMessage-ID: <bench@parley.test>\r\n\r\n")
	line := bytes.Repeat([]byte("x"), 78)
	for n := 0; n < bodyLen; {
		l := min(len(line), bodyLen-n)
		b.Write(line[:l])
		b.WriteString("\r\n")
		n += l + 2
	}
	return b.Bytes()
}

// BenchmarkSinkSend measures Send throughput against smtp-sink (no capture):
// 1 KiB message bodies, PoolSize 4, with 4 and 16 concurrent senders.
//
//	go test -run '^$' -bench 'Sink' -benchtime 5000x ./outbound/smtpsend/
func BenchmarkSinkSend(b *testing.B) {
	msg := benchMsg(1024)
	for _, senders := range []int{4, 16} {
		b.Run(fmt.Sprintf("pool=4/senders=%d", senders), func(b *testing.B) {
			s := postfixpeer.StartSink(b, false)
			c := newTestClient(b, s.Addr, Options{PoolSize: 4, Logger: slog.New(slog.DiscardHandler)})
			b.SetBytes(int64(len(msg)))
			b.ResetTimer()
			var next atomic.Int64
			var wg sync.WaitGroup
			for range senders {
				wg.Go(func() {
					for next.Add(1) <= int64(b.N) {
						if err := c.Send(b.Context(), "room@parley.test", []string{"bob@example.test"}, msg); err != nil {
							b.Error(err)
							return
						}
					}
				})
			}
			wg.Wait()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
		})
	}
}

// BenchmarkSinkSmtpSource runs Postfix's smtp-source against the same kind of
// sink for comparison: 4 sessions, 1 KiB payload, with connections reused
// (-d, like our pool) and with one connection per message (smtp-source's
// default).
func BenchmarkSinkSmtpSource(b *testing.B) {
	for _, mode := range []struct {
		name string
		args []string
	}{
		{"sessions=4/reuse", []string{"-d"}},
		{"sessions=4/connection-per-message", nil},
	} {
		b.Run(mode.name, func(b *testing.B) {
			bin := postfixpeer.FindTool(b, "smtp-source")
			s := postfixpeer.StartSink(b, false)
			args := slices.Concat(mode.args, []string{"-m", strconv.Itoa(b.N), "-s", "4", "-l", "1024",
				"-f", "room@parley.test", "-t", "bob@example.test", s.Addr})
			b.ResetTimer()
			out, err := exec.Command(bin, args...).CombinedOutput()
			if err != nil {
				b.Fatalf("smtp-source: %v\n%s", err, out)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
		})
	}
}
