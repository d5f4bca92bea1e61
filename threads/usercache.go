package threads

import (
	"encoding/json"
	"sync"
	"sync/atomic"
)

// Posting a line decodes the records of its author and of every member it
// routes to, and their statuses, and the same few records come back from
// Redis line after line. Decoding JSON is the larger part of that cost, so
// the Store keeps decoded records by their exact stored JSON: a changed
// record is a new key, so nothing stale is ever returned, and the cache
// needs no invalidation. Callers get their own copy, free to change.

// decodeCacheSize bounds the records kept; when full, a cache starts over.
const decodeCacheSize = 4096

// decodeCache maps a record's stored JSON to its decoded value. Reads take
// no lock: routing one line looks up every member's record and status, from
// every posting goroutine at once, and a mutex there had them queue (a
// third of a second of waiting in a 4-second run of BenchmarkPost at 16
// writers). The records change rarely, which is what sync.Map is for.
type decodeCache[T any] struct {
	m sync.Map     // string -> T
	n atomic.Int64 // puts since the last start-over, overwrites included
}

// get returns the value decoded from data before, if it is kept.
func (c *decodeCache[T]) get(data string) (T, bool) {
	v, ok := c.m.Load(data)
	if !ok {
		var zero T
		return zero, false
	}
	return v.(T), true
}

// put keeps v, decoded from data.
func (c *decodeCache[T]) put(data string, v T) {
	if c.n.Add(1) > decodeCacheSize {
		c.m.Clear()
		c.n.Store(1)
	}
	c.m.Store(data, v)
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
	u, ok := s.users.get(data)
	if !ok {
		plain, err := s.open("user "+id, data)
		if err != nil {
			return User{}, err
		}
		if u, err = decodeUser(id, plain); err != nil {
			return User{}, err
		}
		s.users.put(data, u)
	}
	u.liftExpiredFailure(s.opts.Now())
	return u, nil
}

// decodeStatus decodes a stored status, from the cache when the same JSON
// was decoded before. A Status holds no references: the copy returned is
// the caller's.
func (s *base) decodeStatus(data string) (Status, error) {
	if st, ok := s.statuses.get(data); ok {
		return st, nil
	}
	var st Status
	if err := json.Unmarshal([]byte(data), &st); err != nil {
		return Status{}, err
	}
	s.statuses.put(data, st)
	return st, nil
}
