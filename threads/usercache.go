package threads

import (
	"encoding/json"
	"sync"
	"sync/atomic"
)

// Posting a line decodes the records of its author and of every member it
// routes to, and their statuses, and the same few records come back from
// Redis line after line. Decoding JSON is the larger part of that cost, so
// the Store keeps each record decoded, by its owner's id, with the exact
// JSON it was decoded from: a changed record does not match, so nothing
// stale is ever returned, and the cache needs no invalidation. (Keyed by
// the JSON itself, every look-up hashed the whole record: a tenth of the
// fan-out's time.) Callers get their own copy, free to change.

// decodeCacheSize bounds the records kept (one an id); when full, a cache
// starts over.
const decodeCacheSize = 4096

// decodeCache maps an id to a record's stored JSON and its decoded value.
// Reads take no lock: routing one line looks up every member's record and
// status, from every posting goroutine at once, and a mutex there had them
// queue (a third of a second of waiting in a 4-second run of BenchmarkPost
// at 16 writers). The records change rarely, which is what sync.Map is for.
type decodeCache[T any] struct {
	m sync.Map     // id -> *decoded[T]
	n atomic.Int64 // ids added since the last start-over
}

// decoded is a value and the stored JSON it was decoded from.
type decoded[T any] struct {
	data string
	v    T
}

// get returns the value of id decoded from data before, if it is kept.
func (c *decodeCache[T]) get(id, data string) (T, bool) {
	if e, ok := c.m.Load(id); ok {
		if d := e.(*decoded[T]); d.data == data {
			return d.v, true
		}
	}
	var zero T
	return zero, false
}

// put keeps v, the value of id decoded from data.
func (c *decodeCache[T]) put(id, data string, v T) {
	if _, had := c.m.Swap(id, &decoded[T]{data: data, v: v}); !had && c.n.Add(1) > decodeCacheSize {
		c.m.Clear()
		c.n.Store(0)
	}
}

// len is the number of records kept.
func (c *decodeCache[T]) len() int {
	n := 0
	c.m.Range(func(any, any) bool { n++; return true })
	return n
}

// decodeUser decodes a stored user record, from the cache when the same
// JSON was decoded before. The cache is keyed by the value as stored, so
// a sealed record (seal.go) is opened once, not at every read.
func (s *base) decodeUser(id, data string) (User, error) {
	u, err := s.viewUser(id, data)
	if err != nil {
		return User{}, err
	}
	return u.clone(), nil
}

// viewUser is decodeUser without the copy, for a reader that only reads:
// the slices, maps and pointers of the User it returns are the cache's
// and must not be changed (its plain fields are the caller's). Fan-out
// routes every member of a room this way, line after line.
func (s *base) viewUser(id, data string) (User, error) {
	u, ok := s.users.get(id, data)
	if !ok {
		plain, err := s.open("user "+id, data)
		if err != nil {
			return User{}, err
		}
		if u, err = decodeUser(id, plain); err != nil {
			return User{}, err
		}
		s.users.put(id, data, u)
	}
	u.liftExpiredFailure(s.opts.Now())
	return u, nil
}

// decodeStatus decodes member's stored status, from the cache when the
// same JSON was decoded before. A Status holds no references: the copy
// returned is the caller's.
func (s *base) decodeStatus(member, data string) (Status, error) {
	if st, ok := s.statuses.get(member, data); ok {
		return st, nil
	}
	var st Status
	if err := json.Unmarshal([]byte(data), &st); err != nil {
		return Status{}, err
	}
	s.statuses.put(member, data, st)
	return st, nil
}
