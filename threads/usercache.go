package threads

import "sync"

// Posting a line decodes the records of its author and of every member it
// routes to, and the same few records come back from Redis line after
// line. Decoding JSON is the larger part of that cost, so the Store keeps
// decoded records by their exact stored JSON: a changed record is a new
// key, so nothing stale is ever returned, and the cache needs no
// invalidation. Callers get their own copy, free to change.

// userCacheSize bounds the records kept; when full, the cache starts over.
const userCacheSize = 4096

// userCache maps a user record's stored JSON to its decoded value.
type userCache struct {
	mu sync.Mutex
	m  map[string]User
}

// decodeUser decodes a stored user record, from the cache when the same
// JSON was decoded before. The cache is keyed by the value as stored, so
// a sealed record (seal.go) is opened once, not at every read.
func (s *base) decodeUser(id, data string) (User, error) {
	c := &s.users
	c.mu.Lock()
	u, ok := c.m[data]
	c.mu.Unlock()
	if ok {
		u = u.clone()
		u.liftExpiredFailure(s.opts.Now())
		return u, nil
	}
	plain, err := s.open("user "+id, data)
	if err != nil {
		return User{}, err
	}
	u, err = decodeUser(id, plain)
	if err != nil {
		return User{}, err
	}
	c.mu.Lock()
	if c.m == nil || len(c.m) >= userCacheSize {
		c.m = make(map[string]User, 64)
	}
	c.m[data] = u
	c.mu.Unlock()
	u = u.clone()
	u.liftExpiredFailure(s.opts.Now())
	return u, nil
}
