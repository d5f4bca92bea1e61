package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/redis/go-redis/v9"

	smshook "parley/inbound/sms"
	"parley/inbound/smtpserver"
	"parley/internal/lifecycle"
	"parley/outbound"
	"parley/threads"
)

// ops is what an operator watches of one serve process: /metrics in
// Prometheus's format and /readyz (docs/deploy.md lists the metrics).
// Counters are counted where parley's parts meet, so the parts stay free
// of it: lines, retries, dead letters and digests as the engine reports
// them (threads.Observer), SMTP sessions and replies as the door reports
// them (smtpserver.Observer), the mail doors' outcomes from their one log
// record per message, deliveries around each channel, the webhook and the
// API around their handlers, Redis commands by a go-redis hook; queue
// depth and age are read from Redis at each scrape.
type ops struct {
	reg   *prometheus.Registry
	store *threads.Store
	log   *slog.Logger
	// workerUp: the delivery worker is running (for /readyz).
	workerUp atomic.Bool
	*events

	deliveries   *prometheus.CounterVec
	inbound      *prometheus.CounterVec
	webhook      *prometheus.CounterVec
	redisErrors  *prometheus.CounterVec
	redisSeconds prometheus.Histogram
}

// events counts what the engine and the SMTP door report as it happens:
// it is the threads.Observer given to the store (made before it, see
// serve) and the smtpserver.Observer of the door.
type events struct {
	lines        *prometheus.CounterVec
	retries      *prometheus.CounterVec
	deadLetters  *prometheus.CounterVec
	digests      prometheus.Counter
	smtpSessions prometheus.Counter
	smtpReplies  *prometheus.CounterVec
}

var (
	_ threads.Observer    = (*events)(nil)
	_ smtpserver.Observer = (*events)(nil)
)

// newEvents makes the counters; newOps registers them.
func newEvents() *events {
	return &events{
		lines: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "parley_lines_posted_total",
			Help: "Lines stored by this process, by the door they came through (web, email, sms, api, system, autoreply); duplicates not counted."}, []string{"origin"}),
		retries: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "parley_delivery_retries_total",
			Help: "Delivery batches that failed for now and were put back for a retry, by channel."}, []string{"channel"}),
		deadLetters: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "parley_dead_letters_total",
			Help: "Delivery jobs that failed for good and went to the dead letters, by channel."}, []string{"channel"}),
		digests: prometheus.NewCounter(prometheus.CounterOpts{Name: "parley_digests_sent_total",
			Help: "Digest emails sent."}),
		smtpSessions: prometheus.NewCounter(prometheus.CounterOpts{Name: "parley_smtp_sessions_total",
			Help: "SMTP connections the door let in."}),
		smtpReplies: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "parley_smtp_replies_total",
			Help: "SMTP replies that settled or refused a message, by code (250 taken; 4xx, 5xx refused; 421 also for a connection over the per-IP cap)."}, []string{"code"}),
	}
}

// collectors lists the counters for registration.
func (e *events) collectors() []prometheus.Collector {
	return []prometheus.Collector{e.lines, e.retries, e.deadLetters, e.digests, e.smtpSessions, e.smtpReplies}
}

// LinePosted counts a stored line by its door.
func (e *events) LinePosted(origin threads.Origin) { e.lines.WithLabelValues(string(origin)).Inc() }

// BatchRetried counts a batch put back for a retry.
func (e *events) BatchRetried(ch threads.Channel) { e.retries.WithLabelValues(string(ch)).Inc() }

// BatchDead counts the jobs of a batch that went to the dead letters.
func (e *events) BatchDead(ch threads.Channel, jobs int) {
	e.deadLetters.WithLabelValues(string(ch)).Add(float64(jobs))
}

// DigestSent counts a digest sent.
func (e *events) DigestSent() { e.digests.Inc() }

// Session counts an SMTP connection let in.
func (e *events) Session() { e.smtpSessions.Inc() }

// Reply counts an SMTP reply by its code.
func (e *events) Reply(code int) { e.smtpReplies.WithLabelValues(strconv.Itoa(code)).Inc() }

// readyTimeout bounds /readyz's Redis check and each scrape's reads.
const readyTimeout = 2 * time.Second

// newOps registers parley's metrics for st, with ev (the observer st was
// made with), and hooks Redis commands of rdb.
func newOps(st *threads.Store, rdb redis.UniversalClient, ev *events, log *slog.Logger) *ops {
	o := &ops{reg: prometheus.NewRegistry(), store: st, log: log, events: ev,
		deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "parley_deliveries_total",
			Help: "Batches handed to a channel, by channel (email, sms) and result (sent, retry, failed)."}, []string{"channel", "result"}),
		inbound: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "parley_inbound_total",
			Help: "Messages and requests at the doors, by door (smtp, imap, api) and result (the mail door's outcome, or the HTTP status of a posted line)."}, []string{"door", "result"}),
		webhook: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "parley_webhook_requests_total",
			Help: "Requests to the Twilio webhooks, by webhook (text, status) and result (the HTTP status)."}, []string{"webhook", "result"}),
		redisErrors: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "parley_redis_errors_total",
			Help: "Redis commands that failed (not counting a missing key), by command."}, []string{"command"}),
		redisSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "parley_redis_command_seconds",
			Help: "Time of each Redis command or pipeline, as the client sees it.", Buckets: prometheus.ExponentialBuckets(0.0001, 4, 9)}),
	}
	o.reg.MustRegister(ev.collectors()...)
	o.reg.MustRegister(o.deliveries, o.inbound, o.webhook, o.redisErrors, o.redisSeconds,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "parley_live_clients",
			Help: "Live streams (open pages) this process serves."}, func() float64 { return float64(st.Chat.LiveClients()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "parley_worker_up",
			Help: "1 while this process's delivery worker runs."}, func() float64 { return b2f(o.workerUp.Load()) }),
		&queueCollector{o: o})
	rdb.AddHook(redisHook{o})
	return o
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// queueCollector reads the queue's depth and age at each scrape.
type queueCollector struct{ o *ops }

var (
	queueJobs = prometheus.NewDesc("parley_queue_jobs", "Delivery queue entries on the streams, not yet gathered into batches (an entry holds one line's jobs for the members of one shard).", nil, nil)
	queueBat  = prometheus.NewDesc("parley_queue_batches", "Batches gathered and not yet sent (waiting for their window, a retry or a sender).", nil, nil)
	queueDead = prometheus.NewDesc("parley_queue_dead_letters", "Jobs that failed for good.", nil, nil)
	queueAge  = prometheus.NewDesc("parley_queue_oldest_job_seconds", "Age of the oldest job not yet gathered: how far the workers lag.", nil, nil)
)

// Describe sends the descriptions of the queue's metrics.
func (c *queueCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- queueJobs
	ch <- queueBat
	ch <- queueDead
	ch <- queueAge
}

// Collect reads the queue; on a Redis error the queue's metrics are left
// out of this scrape (the error is counted by the hook).
func (c *queueCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), readyTimeout)
	defer cancel()
	st, err := c.o.store.Queue.Stats(ctx)
	if err != nil {
		c.o.log.Warn("metrics: queue stats", "err", err)
		return
	}
	age, err := c.o.store.Queue.OldestJob(ctx)
	if err != nil {
		c.o.log.Warn("metrics: oldest job", "err", err)
		return
	}
	ch <- prometheus.MustNewConstMetric(queueJobs, prometheus.GaugeValue, float64(st.Waiting))
	ch <- prometheus.MustNewConstMetric(queueBat, prometheus.GaugeValue, float64(st.Batches))
	ch <- prometheus.MustNewConstMetric(queueDead, prometheus.GaugeValue, float64(st.Dead))
	ch <- prometheus.MustNewConstMetric(queueAge, prometheus.GaugeValue, age.Seconds())
}

// redisHook times every command and pipeline and counts the failures.
type redisHook struct{ o *ops }

// DialHook leaves dialling as it is.
func (h redisHook) DialHook(next redis.DialHook) redis.DialHook { return next }

// ProcessHook times one command.
func (h redisHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		start := time.Now()
		err := next(ctx, cmd)
		h.o.redisSeconds.Observe(time.Since(start).Seconds())
		h.count(cmd.Name(), err)
		return err
	}
}

// ProcessPipelineHook times one pipeline.
func (h redisHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		start := time.Now()
		err := next(ctx, cmds)
		h.o.redisSeconds.Observe(time.Since(start).Seconds())
		for _, c := range cmds {
			h.count(c.Name(), c.Err())
		}
		return err
	}
}

func (h redisHook) count(name string, err error) {
	if err == nil || errors.Is(err, redis.Nil) || redis.HasErrorPrefix(err, "NOSCRIPT") {
		return
	}
	h.o.redisErrors.WithLabelValues(strings.ToLower(name)).Inc()
}

// countCarriers wraps each channel so that every batch it is handed is
// counted by its result.
func (o *ops) countCarriers(channels map[threads.Channel]outbound.Carrier) map[threads.Channel]outbound.Carrier {
	out := make(map[threads.Channel]outbound.Carrier, len(channels))
	for ch, c := range channels {
		out[ch] = countedCarrier{Carrier: c, channel: string(ch), o: o}
	}
	return out
}

// countedCarrier counts the batches of one channel.
type countedCarrier struct {
	outbound.Carrier
	channel string
	o       *ops
}

// Deliver sends through the wrapped channel and counts the result.
func (c countedCarrier) Deliver(ctx context.Context, p outbound.Parcel) error {
	err := c.Carrier.Deliver(ctx, p)
	result := "sent"
	switch {
	case err != nil && outbound.IsPermanent(err):
		result = "failed"
	case err != nil:
		result = "retry"
	}
	c.o.deliveries.WithLabelValues(c.channel, result).Inc()
	return err
}

// SendNotice passes notices on when the wrapped channel sends them (the
// worker looks for outbound.Notifier on the email channel).
func (c countedCarrier) SendNotice(ctx context.Context, n threads.Notice) error {
	if nt, ok := c.Carrier.(outbound.Notifier); ok {
		return nt.SendNotice(ctx, n)
	}
	return errors.New("this channel sends no notices")
}

// mailLog counts the mail doors' messages from their log: the SMTP server
// writes one record per message, refused connection and refusal, and the
// IMAP poller one per message folded in, each with its outcome
// (smtpserver.Options.Log, "smtp …" records; "imap message …"). Every
// record is passed on.
type mailLog struct {
	slog.Handler
	o *ops
}

// doorOf names the door of a record by its message; "" for the others.
func doorOf(msg string) string {
	switch {
	case strings.HasPrefix(msg, "smtp "):
		return "smtp"
	case strings.HasPrefix(msg, "imap message "):
		return "imap"
	}
	return ""
}

// Handle counts a door's record by its outcome, then logs it.
func (l mailLog) Handle(ctx context.Context, r slog.Record) error {
	if door := doorOf(r.Message); door != "" {
		r.Attrs(func(a slog.Attr) bool {
			if a.Key == "outcome" {
				l.o.inbound.WithLabelValues(door, a.Value.String()).Inc()
				return false
			}
			return true
		})
	}
	return l.Handler.Handle(ctx, r)
}

// WithAttrs keeps counting below added attributes.
func (l mailLog) WithAttrs(as []slog.Attr) slog.Handler {
	return mailLog{Handler: l.Handler.WithAttrs(as), o: l.o}
}

// WithGroup keeps counting below a group.
func (l mailLog) WithGroup(name string) slog.Handler {
	return mailLog{Handler: l.Handler.WithGroup(name), o: l.o}
}

// doorLog is log with the mail doors' records counted.
func (o *ops) doorLog(log *slog.Logger) *slog.Logger {
	return slog.New(mailLog{Handler: log.Handler(), o: o})
}

// countDoor counts the requests h answers as door, by status.
func (o *ops) countDoor(door string, h http.Handler) http.Handler {
	return countStatus(h, func(_ *http.Request, status string) { o.inbound.WithLabelValues(door, status).Inc() })
}

// countWebhook counts the requests to the Twilio webhooks h serves, by
// webhook and status.
func (o *ops) countWebhook(h http.Handler) http.Handler {
	return countStatus(h, func(r *http.Request, status string) {
		hook := "text"
		switch r.URL.Path {
		case smshook.InboundPath:
		case smshook.StatusPath:
			hook = "status"
		default:
			hook = "other"
		}
		o.webhook.WithLabelValues(hook, status).Inc()
	})
}

// countStatus serves h and hands each request's status to count.
func countStatus(h http.Handler, count func(r *http.Request, status string)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		h.ServeHTTP(sw, r)
		count(r, strconv.Itoa(sw.status))
	})
}

// statusWriter remembers the status of an answer.
type statusWriter struct {
	http.ResponseWriter
	status int
}

// WriteHeader records the status.
func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController reach the connection (flushes of
// the live stream, deadlines).
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// mount serves the web side with /metrics and /readyz beside it (when
// they have no address of their own), counting the API's posted lines.
func (o *ops) mount(web http.Handler, withMetrics bool) http.Handler {
	mux := http.NewServeMux()
	if withMetrics {
		o.routes(mux)
	}
	mux.Handle("POST /api/rooms/{id}/lines", o.countDoor("api", web))
	mux.Handle("/", web)
	return mux
}

// routes adds /metrics and /readyz to mux.
func (o *ops) routes(mux *http.ServeMux) {
	mux.Handle("GET /metrics", promhttp.HandlerFor(o.reg, promhttp.HandlerOpts{ErrorLog: slog.NewLogLogger(o.log.Handler(), slog.LevelWarn)}))
	mux.HandleFunc("GET /readyz", o.ready)
}

// ready answers 200 when this process can do its work: Redis answers
// within readyTimeout and the delivery worker runs; 503 with the reason
// otherwise. (/healthz, in web, says only that the process is alive and
// calls no Redis; a load balancer sends traffic by /readyz.)
func (o *ops) ready(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
	defer cancel()
	status, body := http.StatusOK, map[string]string{"status": "ready"}
	switch {
	case o.store.Ping(ctx) != nil:
		status, body = http.StatusServiceUnavailable, map[string]string{"error": "redis does not answer", "code": "unavailable"}
	case !o.workerUp.Load():
		status, body = http.StatusServiceUnavailable, map[string]string{"error": "the delivery worker is not running", "code": "unavailable"}
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

// metricsPart serves /metrics and /readyz on PARLEY_METRICS_ADDR.
func metricsPart(cfg Config, o *ops, log *slog.Logger) lifecycle.Component {
	var srv *http.Server
	var ln net.Listener
	return lifecycle.Component{Name: "metrics server", Grace: shutdownGrace,
		Start: func(context.Context) error {
			var err error
			if ln, err = net.Listen("tcp", cfg.MetricsAddr); err != nil {
				return fmt.Errorf("listen on PARLEY_METRICS_ADDR %s: %w", cfg.MetricsAddr, err)
			}
			mux := http.NewServeMux()
			o.routes(mux)
			srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
				WriteTimeout: 30 * time.Second, IdleTimeout: 2 * time.Minute}
			log.Info("listening", "metrics", ln.Addr().String())
			return nil
		},
		Run: func(context.Context) error {
			if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
				return err
			}
			return nil
		},
		Stop: func(ctx context.Context) error { return srv.Shutdown(ctx) }}
}
