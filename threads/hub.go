package threads

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// subscriberBuffer is how many events wait for one live subscriber. A
// subscriber that falls this far behind is dropped (its C closes); a page
// reconnects and resumes from its last line id.
const subscriberBuffer = 64

// hub shares one Redis subscription among all the live subscriptions of
// this process: each channel is subscribed once, however many pages follow
// it, and each message is decoded once and copied to the subscribers of its
// channel. So 10,000 open pages cost one Redis connection, not 10,000.
//
// On a Redis Cluster live events use sharded pub/sub (SPUBLISH and
// SSUBSCRIBE): an event goes only to the master of its channel's slot, and
// the hub holds one subscription per master it needs.
type hub struct {
	chat *Chat

	mu sync.Mutex
	// conns are the shared subscriptions, by master address ("" on one
	// server), each made at first need; connOf says which carries a channel.
	conns  map[string]*redis.PubSub
	connOf map[string]string
	// chans: channel → its subscribers; a channel is subscribed in Redis
	// while it has one.
	chans map[string]map[*Subscription]bool
	// confirmed: channels Redis has confirmed; waiting: who waits for a
	// confirmation.
	confirmed map[string]bool
	waiting   map[string][]chan struct{}
	// gone: the Redis client is closed (closeAll); nothing more is sent
	// to Redis, and nothing logged about it.
	gone bool
}

func newHub(c *Chat) *hub {
	return &hub{chat: c, conns: map[string]*redis.PubSub{}, connOf: map[string]string{},
		chans: map[string]map[*Subscription]bool{}, confirmed: map[string]bool{}, waiting: map[string][]chan struct{}{}}
}

// Subscription delivers live events until closed. Events are best effort:
// a client that reconnects reads what it missed with Lines. An Event, with
// its Line and Presence, is shared by every subscriber: read it, do not
// change it. (Sharing one pointer keeps each subscriber's buffer at 64
// words, half a KB, however large an Event grows.)
type Subscription struct {
	// C receives the events. It is closed when the subscription ends: by
	// Close, or because the reader fell subscriberBuffer events behind.
	C <-chan *Event

	c    chan *Event
	hub  *hub
	user string // set for SubscribeUser: follow the user's joins and leaves
	// chans is what this subscription follows; guarded by hub.mu, like
	// closed.
	chans  map[string]bool
	closed bool
	// lossy: an event that finds C full is skipped instead of dropping
	// the subscription (wake-up signals, wake.go, where one pending event
	// says all).
	lossy bool
}

// Close ends the subscription.
func (sub *Subscription) Close() error {
	sub.hub.drop(sub)
	return nil
}

// add makes sub follow chans and returns once Redis has confirmed each of
// them: an event published afterwards reaches sub.
func (h *hub) add(ctx context.Context, sub *Subscription, chans []string) error {
	h.mu.Lock()
	waits, err := h.addLocked(ctx, sub, chans, true)
	h.mu.Unlock()
	if err != nil {
		return err
	}
	for _, w := range waits {
		select {
		case <-w:
		case <-ctx.Done():
			return fmt.Errorf("subscribe: %w", ctx.Err())
		}
	}
	return nil
}

// addLocked registers sub for chans and subscribes in Redis to the channels
// nobody followed yet. With wait, it returns what to wait on for the
// confirmations.
func (h *hub) addLocked(ctx context.Context, sub *Subscription, chans []string, wait bool) ([]chan struct{}, error) {
	if sub.closed {
		return nil, nil
	}
	var fresh []string
	var waits []chan struct{}
	for _, ch := range chans {
		if sub.chans[ch] {
			continue
		}
		sub.chans[ch] = true
		if h.chans[ch] == nil {
			h.chans[ch] = map[*Subscription]bool{}
			fresh = append(fresh, ch)
		}
		h.chans[ch][sub] = true
		if wait && !h.confirmed[ch] {
			w := make(chan struct{})
			h.waiting[ch] = append(h.waiting[ch], w)
			waits = append(waits, w)
		}
	}
	if err := h.subscribeLocked(ctx, fresh); err != nil {
		return nil, err
	}
	return waits, nil
}

// subscribeLocked subscribes in Redis to chans, each on the connection of
// its master.
func (h *hub) subscribeLocked(ctx context.Context, chans []string) error {
	ctx = context.WithoutCancel(ctx)
	byConn := map[string][]string{}
	for _, ch := range chans {
		key, err := h.connKey(ctx, ch)
		if err != nil {
			return err
		}
		h.connOf[ch] = key
		byConn[key] = append(byConn[key], ch)
	}
	for key, chs := range byConn {
		ps, err := h.conn(ctx, key)
		if err != nil {
			return err
		}
		if h.chat.sharded {
			// SSUBSCRIBE takes channels of one slot only (CROSSSLOT
			// otherwise, which arrives as a message, not as an error).
			for _, group := range byHashTag(chs) {
				if err = ps.SSubscribe(ctx, group...); err != nil {
					break
				}
			}
		} else {
			err = ps.Subscribe(ctx, chs...)
		}
		if err != nil {
			return fmt.Errorf("subscribe: %w", err)
		}
	}
	return nil
}

// connKey names the connection that carries ch: the address of the master
// of ch's slot on a cluster, "" on one server.
func (h *hub) connKey(ctx context.Context, ch string) (string, error) {
	cc, ok := h.chat.rdb.(*redis.ClusterClient)
	if !ok {
		return "", nil
	}
	node, err := cc.MasterForKey(ctx, ch)
	if err != nil {
		return "", fmt.Errorf("subscribe: find the master of %s: %w", ch, err)
	}
	return node.Options().Addr, nil
}

// conn returns the shared subscription named key, made (with its reader)
// at first need.
func (h *hub) conn(ctx context.Context, key string) (*redis.PubSub, error) {
	if ps := h.conns[key]; ps != nil {
		return ps, nil
	}
	var ps *redis.PubSub
	if cc, ok := h.chat.rdb.(*redis.ClusterClient); ok {
		var node *redis.Client
		err := cc.ForEachMaster(ctx, func(_ context.Context, n *redis.Client) error {
			if n.Options().Addr == key {
				node = n
			}
			return nil
		})
		if err != nil || node == nil {
			return nil, fmt.Errorf("subscribe: no master at %s: %v", key, err)
		}
		ps = node.SSubscribe(ctx)
	} else {
		ps = h.chat.rdb.Subscribe(ctx)
	}
	h.conns[key] = ps
	go h.run(ps)
	go h.keepAlive(ps)
	return ps, nil
}

// removeLocked stops sub following chans; a channel nobody follows any more
// is unsubscribed in Redis.
func (h *hub) removeLocked(ctx context.Context, sub *Subscription, chans []string) {
	gone := map[string][]string{} // by connection
	for _, ch := range chans {
		if !sub.chans[ch] {
			continue
		}
		delete(sub.chans, ch)
		delete(h.chans[ch], sub)
		if len(h.chans[ch]) == 0 {
			delete(h.chans, ch)
			delete(h.confirmed, ch)
			gone[h.connOf[ch]] = append(gone[h.connOf[ch]], ch)
			delete(h.connOf, ch)
		}
	}
	if h.gone {
		return
	}
	ctx = context.WithoutCancel(ctx)
	for key, chs := range gone {
		ps := h.conns[key]
		if ps == nil {
			continue
		}
		var err error
		if h.chat.sharded {
			for _, group := range byHashTag(chs) {
				if err = ps.SUnsubscribe(ctx, group...); err != nil {
					break
				}
			}
		} else {
			err = ps.Unsubscribe(ctx, chs...)
		}
		if err != nil {
			h.chat.log.Warn("live: unsubscribe", "channels", len(chs), "err", err)
		}
	}
}

// drop ends sub: it follows nothing more and its C closes.
func (h *hub) drop(sub *Subscription) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.dropLocked(sub)
}

func (h *hub) dropLocked(sub *Subscription) {
	if sub.closed {
		return
	}
	chans := make([]string, 0, len(sub.chans))
	for ch := range sub.chans {
		chans = append(chans, ch)
	}
	h.removeLocked(context.Background(), sub, chans)
	sub.closed = true
	close(sub.c)
}

// run reads the shared subscription until its client is closed, and hands
// each message to the subscribers of its channel.
func (h *hub) run(ps *redis.PubSub) {
	ctx := context.Background()
	for {
		msg, err := ps.Receive(ctx)
		if err != nil {
			if errors.Is(err, redis.ErrClosed) {
				h.closeAll()
				return
			}
			// go-redis reconnects and subscribes again at the next Receive;
			// what was published meanwhile is lost, as live events may be.
			// On a cluster the master may be gone for good: its replica
			// took over, at another address, and the channels move there.
			if h.chat.sharded {
				if h.rehome(ps) {
					return
				}
				time.Sleep(rehomeWait)
			}
			continue
		}
		switch m := msg.(type) {
		case *redis.Subscription:
			if m.Kind == "subscribe" || m.Kind == "ssubscribe" {
				h.confirm(m.Channel)
			}
		case *redis.Message:
			h.deliver(ctx, m)
		}
	}
}

// confirm wakes those waiting for channel.
func (h *hub) confirm(channel string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.chans[channel] != nil {
		h.confirmed[channel] = true
	}
	for _, w := range h.waiting[channel] {
		close(w)
	}
	delete(h.waiting, channel)
}

// closeAll ends every subscription: the Redis client is gone.
func (h *hub) closeAll() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.gone = true
	for _, subs := range h.chans {
		for sub := range subs {
			h.dropLocked(sub)
		}
	}
	for ch, ws := range h.waiting {
		for _, w := range ws {
			close(w)
		}
		delete(h.waiting, ch)
	}
}

// deliver decodes m once and copies it to the subscribers of its channel.
// A subscriber whose buffer is full is dropped, not waited for: one slow
// page never holds up the others.
func (h *hub) deliver(ctx context.Context, m *redis.Message) {
	ev, ok := h.chat.decodeEvent(m)
	if !ok {
		return
	}
	shared := &ev
	h.mu.Lock()
	defer h.mu.Unlock()
	subs := make([]*Subscription, 0, len(h.chans[m.Channel]))
	for sub := range h.chans[m.Channel] {
		subs = append(subs, sub)
	}
	for _, sub := range subs {
		if sub.closed {
			continue
		}
		if ev.Kind == JoinedEvent || ev.Kind == LeftEvent {
			if sub.user == "" {
				continue
			}
			// Follow the membership change, without waiting: the
			// confirmation comes through this very goroutine.
			room := []string{h.chat.k.roomLive(ev.Room)}
			if ev.Kind == LeftEvent {
				h.removeLocked(ctx, sub, room)
			} else if _, err := h.addLocked(ctx, sub, room, false); err != nil {
				h.chat.log.Warn("live: follow a join", "user", sub.user, "room", ev.Room, "err", err)
			}
		}
		select {
		case sub.c <- shared:
		default:
			if sub.lossy {
				continue
			}
			h.chat.log.Info("live: subscriber fell behind, dropped", "user", sub.user)
			h.dropLocked(sub)
		}
	}
}

// keepAlive pings the shared subscription now and then, so that a
// connection that died silently is noticed and made again.
func (h *hub) keepAlive(ps *redis.PubSub) {
	t := time.NewTicker(pingEvery)
	defer t.Stop()
	for range t.C {
		if err := ps.Ping(context.Background()); errors.Is(err, redis.ErrClosed) {
			return
		}
	}
}

// pingEvery is how often keepAlive pings.
const pingEvery = 30 * time.Second

// decodeEvent turns a published message into an Event.
func (s *Chat) decodeEvent(msg *redis.Message) (Event, bool) {
	kind, rest, _ := strings.Cut(msg.Payload, "\n")
	switch EventKind(kind) {
	case LineEvent:
		// "line\nID\nJSON\nTEXT": the JSON holds no newline (encoding/json
		// escapes them) and the text, last, may hold any.
		id, rest, _ := strings.Cut(rest, "\n")
		data, text, _ := strings.Cut(rest, "\n")
		var l Line
		err := json.Unmarshal([]byte(data), &l)
		if err != nil {
			s.log.Warn("undecodable live event", "channel", msg.Channel, "err", err)
			return Event{}, false
		}
		// The post script published the text as stored: sealed under
		// the data key when there is one (seal.go).
		if l.Text, err = s.open("live line "+id, text); err != nil {
			s.log.Warn("live line not opened", "channel", msg.Channel, "err", err)
			return Event{}, false
		}
		l.ID = id
		return Event{Kind: LineEvent, Room: l.Room, Line: &l}, true
	case PresenceEvent:
		var p Presence
		if err := json.Unmarshal([]byte(rest), &p); err != nil {
			s.log.Warn("undecodable live event", "channel", msg.Channel, "err", err)
			return Event{}, false
		}
		return Event{Kind: PresenceEvent, Room: s.k.roomOfLive(msg.Channel), Presence: &p}, true
	case JoinedEvent, LeftEvent:
		return Event{Kind: EventKind(kind), Room: rest}, true
	case wakeEvent:
		return Event{Kind: wakeEvent}, true
	}
	return Event{}, false
}

// byHashTag groups channels by their hash tag (the part of the name in
// the first {…}, or the whole name without one), keeping their order:
// the channels of one group share a slot, as SSUBSCRIBE and SUNSUBSCRIBE
// require.
func byHashTag(chans []string) [][]string {
	return groupInOrder(chans, hashTag)
}

// groupInOrder groups items by key, the groups in the order their first
// item comes, each group's items in the order they come.
func groupInOrder[T any](items []T, key func(T) string) [][]T {
	index := map[string]int{}
	var out [][]T
	for _, it := range items {
		k := key(it)
		i, ok := index[k]
		if !ok {
			i = len(out)
			index[k] = i
			out = append(out, nil)
		}
		out[i] = append(out[i], it)
	}
	return out
}

// hashTag is what Redis Cluster hashes of name: the text between the
// first { and the next }, when not empty; else the whole name.
func hashTag(name string) string {
	if open := strings.IndexByte(name, '{'); open >= 0 {
		if end := strings.IndexByte(name[open+1:], '}'); end > 0 {
			return name[open+1 : open+1+end]
		}
	}
	return name
}

// rehomeWait is the pause between two checks of where a sharded
// subscription whose master does not answer should be.
const rehomeWait = 100 * time.Millisecond

// rehome moves the channels of ps, a sharded subscription whose
// connection failed, to their masters when the cluster says those are
// elsewhere now (a failover). It returns true when ps was given up (its
// reader stops); false when its master is still the one to ask, and
// go-redis keeps reconnecting to it.
func (h *hub) rehome(ps *redis.PubSub) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.gone {
		return false
	}
	key, found := "", false
	for k, c := range h.conns {
		if c == ps {
			key, found = k, true
		}
	}
	if !found {
		return true
	}
	var chans []string
	for ch, k := range h.connOf {
		if k == key {
			chans = append(chans, ch)
		}
	}
	ctx := context.Background()
	moved := false
	for _, ch := range chans {
		if now, err := h.connKey(ctx, ch); err == nil && now != key {
			moved = true
			break
		}
	}
	if !moved {
		return false
	}
	delete(h.conns, key)
	for _, ch := range chans {
		delete(h.connOf, ch)
		delete(h.confirmed, ch)
	}
	_ = ps.Close()
	if err := h.subscribeLocked(ctx, chans); err != nil {
		h.chat.log.Warn("live: subscribe again after a failover", "channels", len(chans), "err", err)
	} else {
		h.chat.log.Info("live: channels moved to their new master after a failover", "from", key, "channels", len(chans))
	}
	return true
}
