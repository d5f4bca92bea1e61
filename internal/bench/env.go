package bench

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os/exec"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/emersion/go-smtp"
	"github.com/redis/go-redis/v9"

	"parley/inbound/smtpserver"
	"parley/internal/peerproc"
	"parley/internal/redisclient"
	"parley/internal/sealbox"
	"parley/threads"
)

// secret keys the reply tokens of every store the bench makes.
var secret = []byte("0123456789abcdef0123456789abcdef")

// quiet is the log of everything the bench starts.
var quiet = slog.New(slog.DiscardHandler)

// server is a Redis the bench started: its own redis-server, or the
// embedded store when redis-server is not installed.
type server struct {
	Addr   string
	Kind   string // "redis-server" or "embedded store"
	Client redis.UniversalClient
	stop   func()
}

// startRedis starts a redis-server on loopback with extra arguments, or,
// when it is not installed and embeddedOK, the embedded store.
func startRedis(look Look, dir string, embeddedOK bool, extra ...string) (*server, error) {
	var s server
	if bin, ok := look("redis-server"); ok {
		addr, stop, err := peerproc.LaunchRedis(bin, dir, append([]string{"--maxclients", "30000"}, extra...)...)
		if err != nil {
			return nil, err
		}
		s.Addr, s.Kind, s.stop = addr, "redis-server", stop
	} else {
		if !embeddedOK {
			return nil, errNoPeer("redis-server")
		}
		mr := miniredis.NewMiniRedis()
		if err := mr.StartAddr("127.0.0.1:0"); err != nil {
			return nil, fmt.Errorf("start embedded store: %w", err)
		}
		s.Addr, s.Kind, s.stop = mr.Addr(), "embedded store", mr.Close
	}
	s.Client = redisclient.New(&redis.Options{Addr: s.Addr, PoolSize: 64})
	if err := s.Client.Ping(context.Background()).Err(); err != nil {
		s.Close()
		return nil, fmt.Errorf("redis at %s: %w", s.Addr, err)
	}
	return &s, nil
}

// Close stops the server.
func (s *server) Close() {
	if s.Client != nil {
		_ = s.Client.Close()
	}
	s.stop()
}

// version is the server's version, from INFO.
func (s *server) version(ctx context.Context) string {
	if s.Kind != "redis-server" {
		return "none (embedded store)"
	}
	info, err := s.Client.Info(ctx, "server").Result()
	if err != nil {
		return "unknown"
	}
	for line := range strings.SplitSeq(info, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "redis_version:"); ok {
			return v
		}
	}
	return "unknown"
}

// newStore returns a store under a fresh prefix of s.
func (s *server) newStore() *threads.Store { return s.newSealedStore(nil) }

// newSealedStore is newStore with a data key (nil: none).
func (s *server) newSealedStore(box *sealbox.Box) *threads.Store {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	// The bench's replies all come from one sender with one text: the loop
	// breaker is set out of reach, or it would drop all but 10 a minute,
	// and every repeat of the text.
	return threads.New(s.Client, threads.Options{Prefix: "bench:" + hex.EncodeToString(b) + ":", Secret: secret,
		Logger: quiet, EmailLinesPerMinute: 1 << 30, RepeatWindow: -1, Seal: box})
}

// Look finds a program: its path, and whether it is installed.
type Look func(name string) (path string, ok bool)

// lookProgram finds programs where the tests do (internal/peerproc):
// Postfix's test programs in PATH or /usr/sbin, Redis's in PATH.
func lookProgram(name string) (string, bool) {
	if strings.HasPrefix(name, "smtp-") {
		return peerproc.Look(name, "/usr/sbin/"+name)
	}
	return peerproc.Look(name)
}

// peerTool is a load generator or peer program and how to install it.
type peerTool struct{ name, pkg string }

var (
	smtpSource     = peerTool{"smtp-source", "postfix"}
	redisBenchmark = peerTool{"redis-benchmark", "redis-tools"}
)

// find returns the tool's path, or a "not installed" error naming the
// package to install.
func (p peerTool) find(look Look) (string, error) {
	path, ok := look(p.name)
	if !ok {
		return "", errNoPeer(p.pkg)
	}
	return path, nil
}

// errNoPeer says a peer is missing and how to install it.
type errNoPeer string

func (e errNoPeer) Error() string { return "peer not installed (apt-get install -y " + string(e) + ")" }

// sink is an in-process go-smtp server that counts and discards every
// message: the smarthost of the relay figures, and the discard floor of
// the inbound ones.
type sink struct {
	Addr  string
	srv   *smtp.Server
	n     atomic.Int64
	bytes atomic.Int64
}

// startSink serves a sink on a loopback port, with the limits of parley's
// SMTP door (domain, size, recipients, timeouts).
func startSink() (*sink, error) {
	s := &sink{}
	s.srv = smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return sinkSession{s}, nil }))
	s.srv.Domain = "parley.test"
	s.srv.MaxMessageBytes = smtpserver.DefaultMaxMessageBytes
	s.srv.MaxRecipients = smtpserver.DefaultMaxRecipients
	s.srv.ReadTimeout, s.srv.WriteTimeout = smtpserver.DefaultTimeout, smtpserver.DefaultTimeout
	s.srv.ErrorLog = discardLog{}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s.Addr = l.Addr().String()
	go pprof.Do(context.Background(), pprof.Labels("server", "sink"), func(context.Context) { _ = s.srv.Serve(l) })
	return s, nil
}

// Close stops the sink.
func (s *sink) Close() { _ = s.srv.Close() }

type sinkSession struct{ s *sink }

var _ smtp.Session = sinkSession{}

func (sinkSession) Reset()                               {}
func (sinkSession) Logout() error                        { return nil }
func (sinkSession) Mail(string, *smtp.MailOptions) error { return nil }
func (sinkSession) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (ss sinkSession) Data(r io.Reader) error {
	n, err := io.Copy(io.Discard, r)
	ss.s.n.Add(1)
	ss.s.bytes.Add(n)
	return err
}

type discardLog struct{}

func (discardLog) Printf(string, ...any) {}
func (discardLog) Println(...any)        {}

// runTool runs a peer program and returns how long it took.
func runTool(ctx context.Context, bin string, args ...string) (time.Duration, []byte, error) {
	start := time.Now()
	out, err := exec.CommandContext(ctx, bin, args...).CombinedOutput()
	if err != nil {
		return 0, out, fmt.Errorf("%s %s: %v\n%s", bin, strings.Join(args, " "), err, out)
	}
	return time.Since(start), out, nil
}

// itoa is strconv.Itoa, for argument lists.
func itoa(n int) string { return strconv.Itoa(n) }
