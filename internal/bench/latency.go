package bench

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/emersion/go-smtp"

	"parley/threads"
)

// latency: from the SMTP door's 250 for a reply to its relay email handed
// to the smarthost (the sink accepted it), batching off, the worker as
// parley serve runs it. Replies go one at a time, so each measures the
// whole path on an idle parley.
func latency(ctx context.Context, r *run) Figure {
	const what, target = "latency: accepted reply → its relay handed to the smarthost, batching off", "p99 < 20 ms"
	st := r.redis.newStore()
	d, err := startDoor(ctx, st)
	if err != nil {
		return failed(what, target, err)
	}
	defer d.Close()
	if _, err := st.Chat.SetStatus(ctx, "alice", threads.Status{Availability: threads.Away}); err != nil {
		return failed(what, target, err)
	}
	sk, err := startSink()
	if err != nil {
		return failed(what, target, err)
	}
	defer sk.Close()
	m, err := newMailer(st, sk.Addr, defaults)
	if err != nil {
		return failed(what, target, err)
	}
	defer m.Close()
	handed := make(chan string, 16)
	m.handed = func(msg []byte) { handed <- string(msg) }
	defer m.start()()

	c, err := smtp.Dial(d.Addr)
	if err != nil {
		return failed(what, target, err)
	}
	defer c.Close()
	n := r.size(100, 400)
	samples := make([]time.Duration, 0, n)
	for i := range n + 5 { // the first 5 warm up
		marker := fmt.Sprintf("reply-%d-%d", time.Now().UnixNano(), i)
		accepted, err := sendReply(c, d.Reply, marker)
		if err != nil {
			return failed(what, target, err)
		}
		if err := waitHanded(ctx, handed, marker); err != nil {
			return failed(what, target, err)
		}
		if i >= 5 {
			samples = append(samples, time.Since(accepted))
		}
	}
	slices.Sort(samples)
	p50, p99 := quantile(samples, 0.50), quantile(samples, 0.99)
	return Figure{What: what, Target: target, Parley: fmt.Sprintf("p50 %s, p99 %s", ms(p50), ms(p99)), Peer: "—",
		Values: map[string]float64{"p50_ms": msf(p50), "p99_ms": msf(p99)}}
}

// sendReply sends one reply from bob carrying marker and returns when the
// door answered 250.
func sendReply(c *smtp.Client, to, marker string) (time.Time, error) {
	if err := c.Mail("bob@example.org", nil); err != nil {
		return time.Time{}, err
	}
	if err := c.Rcpt(to, nil); err != nil {
		return time.Time{}, err
	}
	w, err := c.Data()
	if err != nil {
		return time.Time{}, err
	}
	msg := "From: bob <bob@example.org>\r\nTo: " + to + "\r\nSubject: Re: [Design] chat\r\n" +
		"Message-ID: <" + marker + "@example.org>\r\nDate: " + time.Now().Format(time.RFC1123Z) + "\r\n" +
		"Content-Type: text/plain; charset=utf-8\r\n\r\nSounds good, " + marker + "\r\n"
	if _, err := w.Write([]byte(msg)); err != nil {
		return time.Time{}, err
	}
	if err := w.Close(); err != nil {
		return time.Time{}, err
	}
	return time.Now(), nil
}

// waitHanded waits for the relay email that carries marker.
func waitHanded(ctx context.Context, handed <-chan string, marker string) error {
	timeout := time.After(10 * time.Second)
	for {
		select {
		case msg := <-handed:
			if strings.Contains(msg, marker) {
				return nil
			}
		case <-timeout:
			return fmt.Errorf("no relay of %s reached the smarthost within 10 s", marker)
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// quantile is the q-quantile of sorted samples (nearest rank).
func quantile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(q*float64(len(sorted))+0.5) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

func msf(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", msf(d)) }
