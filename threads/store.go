package threads

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// Errors callers can test with errors.Is.
var (
	// ErrNotFound: the user, room or line does not exist.
	ErrNotFound = errors.New("not found")
	// ErrExists: the id (or the email address or phone) is already taken.
	ErrExists = errors.New("already exists")
	// ErrInvalid: the input breaks a rule; the error text says which.
	ErrInvalid = errors.New("invalid input")
	// ErrNotMember: the user is not a member of the room.
	ErrNotMember = errors.New("not a member of the room")
)

// invalid returns an error that wraps ErrInvalid with a reason a person can act on.
func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, args...))
}

// Options configure a Store. The zero value of each field picks a sane default.
type Options struct {
	// Prefix is put before every key and channel ("parley:" by default), so
	// several deployments or tests can share one Redis.
	Prefix string
	// Now is the clock; time.Now by default. Every time parley stores or
	// compares comes from it.
	Now func() time.Time
	// Rand returns a float in [0,1) for backoff jitter; math/rand/v2 by default.
	Rand func() float64
	// IdleAfter: an online member without activity for this long is away
	// (5 min). With OfflineAfter it only seeds the thresholds in Redis
	// (Chat.SeedThresholds), which every process reads, and stands in
	// while none are stored.
	IdleAfter time.Duration
	// OfflineAfter: a member without activity for this long is offline (8 h).
	OfflineAfter time.Duration
	// QueueShards is the number of delivery streams (8). It must not change
	// while jobs are queued.
	QueueShards int
	// DedupeFor is how long a source id is remembered (30 days).
	DedupeFor time.Duration
	// Backoff is the first retry delay; each attempt doubles it (30 s).
	Backoff time.Duration
	// MaxBackoff caps the retry delay (1 h).
	MaxBackoff time.Duration
	// Secret keys the HMAC of reply tokens (PARLEY_SECRET). Without it no
	// reply address can be made or checked.
	Secret []byte
	// PreviousSecret (PARLEY_SECRET_PREVIOUS) is the secret before the
	// last rotation: tokens made under it still verify, so addresses
	// already sent keep working for a grace period.
	PreviousSecret []byte
	// EmailLinesPerMinute caps the lines one sender posts by email in one
	// room per minute (DefaultEmailLinesPerMinute): the loop breaker.
	EmailLinesPerMinute int
	// RepeatWindow is how long the loop breaker remembers a sender's text
	// in a room (RepeatWindow, an hour, when 0); negative: the same text
	// again is no repeat. Only a load test whose messages all carry one
	// text (parley bench) wants that.
	RepeatWindow time.Duration
	// BounceRetryAfter: an address marked failing by a bounce is tried
	// again after this long (3 days; PARLEY_BOUNCE_RETRY_AFTER).
	BounceRetryAfter time.Duration
	// AutoReplyPeriod: a member's auto-reply goes to one sender at most
	// once in this period (1 day, as RFC 5230 advises).
	AutoReplyPeriod time.Duration
	// EscalateAfter: a line that needs a member (direct room, mention,
	// !urgent), neither seen on the web nor answered within this time,
	// goes out once more on their next channel (30 min;
	// PARLEY_ESCALATE_AFTER; negative: never). Members may set their own
	// (Prefs.Escalate) or turn it off.
	EscalateAfter time.Duration
	// UrgentLimit lines marked !urgent per sender within UrgentWindow go
	// through quiet hours (3 an hour); beyond that they are ordinary lines.
	UrgentLimit  int
	UrgentWindow time.Duration
	// ReplicaWait, when above 0, makes each post wait until this many
	// replicas have it (WAIT) before it returns, so that a door
	// acknowledges only what survives the master's loss on a Redis with
	// appendfsync everysec (PARLEY_REDIS_WAIT; durable.go). A post that
	// is not replicated within ReplicaWaitTimeout (1 s) fails with
	// ErrReplicas. Not for the embedded store.
	ReplicaWait        int
	ReplicaWaitTimeout time.Duration
	// MeetURL starts the meeting links /meet posts (DefaultMeetURL when
	// empty; PARLEY_MEET_URL).
	MeetURL string
	// Seal, with a key (PARLEY_DATA_KEY), seals at rest what people wrote:
	// line texts and quotes, user records, relay subjects, the outbox and
	// held messages (seal.go lists them); values sealed under its previous
	// key still open, and plaintext values read as they are. Without a key
	// (a nil *sealbox.Box, or nil here): nothing is sealed, and a sealed
	// value fails to open.
	Seal Sealer
	// Logger receives what the engine reports (a background fan-out that
	// fails, say); nothing is logged when nil.
	Logger *slog.Logger
	// Observer hears of lines posted, batches retried or dead-lettered
	// and digests sent (observer.go); nobody when nil.
	Observer Observer
}

// base is what every job type shares: one Redis client, one key schema,
// one clock and the options. It links the job types to each other, so that
// a job that needs another (a post reads its members' records, a digest
// reads lines) calls it by name: s.dir.User, s.chat.Lines.
type base struct {
	rdb  redis.UniversalClient
	k    keys
	opts Options
	log  *slog.Logger
	// batch shares round trips among concurrent callers (batcher.go).
	batch *batcher
	// users and statuses keep decoded user records and statuses by their
	// stored JSON (usercache.go).
	users    decodeCache[User]
	statuses decodeCache[Status]
	// wake tells this process's idle workers that jobs were queued (wake.go).
	wake *waker

	chat    *Chat
	queue   *Queue
	sms     *SMSState
	auth    *Auth
	digests *Digests
	dir     *Directory
	inbox   *Inbox
}

// Store is parley's engine on one Redis (a single server or a cluster),
// one type per job, all on one client and key schema. Callers take the
// narrowest job type they need. It is safe for concurrent use.
type Store struct {
	*base
	// Chat is the chat engine: rooms, lines, presence, fan-out, live
	// events, read markers, retention.
	Chat *Chat
	// Queue is the delivery queue and what else goes out: batches,
	// notices, transcript requests, the outbox.
	Queue *Queue
	// SMS keeps the state of text messaging: number bindings, sent texts,
	// daily budgets, opt-outs, inbound dedupe.
	SMS *SMSState
	// Auth is web sign-in, sessions, API tokens, and the reply, digest and
	// unsubscribe tokens of addresses.
	Auth *Auth
	// Digests selects, schedules and records digests.
	Digests *Digests
	// Directory is users, their profiles, admin settings and the audit log.
	Directory *Directory
	// Inbox is the inbound doors' state: held messages and saved cursors.
	Inbox *Inbox
}

// Chat is the chat engine: rooms and their members, lines, presence,
// fan-out to delivery jobs, live events, read markers and retention.
type Chat struct {
	*base
	// roomMembers remembers who was in each room at its last post, with
	// the membership version they are of (see prefetch.go and scriptPost).
	roomMembers sync.Map // room id → membership
	// detached routes the lines of NewLine.Detach posts (detach.go).
	detached detacher
	// sharded: live events use sharded pub/sub (a Redis Cluster).
	sharded bool
	// hub shares one Redis subscription among the live subscriptions of
	// this process (hub.go).
	hub *hub
}

// Queue is the delivery queue (sharded streams read by a consumer group),
// its batches, the notices and transcript requests the worker sends, and
// the outbox of what would have been sent.
type Queue struct{ *base }

// SMSState is what text messaging keeps: which room a phone is bound to,
// the texts sent and their status, daily segment budgets, opt-outs and
// the MessageSids already handled.
type SMSState struct{ *base }

// Auth is web sign-in links, sessions and API tokens, and the tokens of
// reply, digest and unsubscribe addresses.
type Auth struct{ *base }

// Digests selects what a member has not seen, schedules their digests and
// records which went out.
type Digests struct{ *base }

// Directory is the users, their profiles and the people search, the
// organisation's admin settings and the audit log.
type Directory struct{ *base }

// Inbox is the state of the inbound doors: messages held for review and
// the doors' saved positions (IMAP UIDs).
type Inbox struct{ *base }

// New returns a Store on rdb. It does no I/O.
func New(rdb redis.UniversalClient, opts Options) *Store {
	if opts.Prefix == "" {
		opts.Prefix = "parley:"
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Rand == nil {
		opts.Rand = rand.Float64
	}
	if opts.IdleAfter <= 0 {
		opts.IdleAfter = 5 * time.Minute
	}
	if opts.OfflineAfter <= 0 {
		opts.OfflineAfter = 8 * time.Hour
	}
	if opts.OfflineAfter < opts.IdleAfter {
		opts.OfflineAfter = opts.IdleAfter
	}
	if opts.Seal == nil {
		opts.Seal = noSeal{}
	}
	if opts.QueueShards <= 0 {
		opts.QueueShards = 8
	}
	if opts.DedupeFor <= 0 {
		opts.DedupeFor = 30 * 24 * time.Hour
	}
	if opts.Backoff <= 0 {
		opts.Backoff = 30 * time.Second
	}
	if opts.MaxBackoff <= 0 {
		opts.MaxBackoff = time.Hour
	}
	if opts.EmailLinesPerMinute <= 0 {
		opts.EmailLinesPerMinute = DefaultEmailLinesPerMinute
	}
	if opts.RepeatWindow == 0 {
		opts.RepeatWindow = RepeatWindow
	}
	if opts.BounceRetryAfter <= 0 {
		opts.BounceRetryAfter = DefaultBounceRetryAfter
	}
	if opts.AutoReplyPeriod <= 0 {
		opts.AutoReplyPeriod = 24 * time.Hour
	}
	if opts.EscalateAfter == 0 {
		opts.EscalateAfter = DefaultEscalateAfter
	}
	if opts.UrgentLimit <= 0 {
		opts.UrgentLimit = 3
	}
	if opts.UrgentWindow <= 0 {
		opts.UrgentWindow = time.Hour
	}
	if opts.ReplicaWaitTimeout <= 0 {
		opts.ReplicaWaitTimeout = defaultReplicaWaitTimeout
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Observer == nil {
		opts.Observer = noObserver{}
	}
	b := &base{rdb: rdb, k: keys{prefix: opts.Prefix}, opts: opts, log: opts.Logger, batch: &batcher{rdb: rdb}}
	_, cluster := rdb.(*redis.ClusterClient)
	b.chat = &Chat{base: b, sharded: cluster}
	b.chat.hub = newHub(b.chat)
	b.wake = newWaker(b.chat)
	b.queue = &Queue{b}
	b.sms = &SMSState{b}
	b.auth = &Auth{b}
	b.digests = &Digests{b}
	b.dir = &Directory{b}
	b.inbox = &Inbox{b}
	return &Store{base: b, Chat: b.chat, Queue: b.queue, SMS: b.sms, Auth: b.auth,
		Digests: b.digests, Directory: b.dir, Inbox: b.inbox}
}

// Options returns the options in force, defaults filled in. Every job type
// has it, so a caller that holds one job reads the same clock as the rest.
func (s *base) Options() Options { return s.opts }

// Ping checks that Redis answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.rdb.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("redis ping: %w", err)
	}
	return nil
}

func (s *base) now() time.Time { return s.opts.Now() }
