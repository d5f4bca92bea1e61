package threads

import (
	"context"
	"sync"
	"testing"
	"time"

	"parley/internal/testpeers/redispeer"
)

// fakeClock is a clock tests move by hand.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *fakeClock {
	return &fakeClock{t: time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// env is one test's store on its own key prefix.
type env struct {
	*Store
	clock *fakeClock
	redis *redispeer.Redis
	ctx   context.Context
}

func newEnv(t testing.TB) *env {
	t.Helper()
	r := redispeer.New(t)
	clock := newClock()
	s := New(r.Client, Options{Prefix: r.Prefix, Now: clock.Now, Rand: func() float64 { return 0.5 }})
	return &env{Store: s, clock: clock, redis: r, ctx: context.Background()}
}

// seed adds users (id = name lower-cased) with an email each.
func (e *env) seed(t testing.TB, ids ...string) {
	t.Helper()
	for _, id := range ids {
		if _, err := e.Directory.AddUser(e.ctx, User{ID: id, Name: "User " + id, Emails: []string{id + "@example.org"}}); err != nil {
			t.Fatal(err)
		}
	}
}

func (e *env) room(t testing.TB, id string, kind RoomKind, members ...string) Room {
	t.Helper()
	r, err := e.Chat.CreateRoom(e.ctx, Room{ID: id, Name: id, Kind: kind, Members: members})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func (e *env) post(t testing.TB, room, author, text string) Posted {
	t.Helper()
	p, err := e.Chat.Post(e.ctx, NewLine{Room: room, Author: author, Text: text, Origin: FromAPI})
	if err != nil {
		t.Fatal(err)
	}
	return p
}
