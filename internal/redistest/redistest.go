// Package redistest is the old name of internal/testpeers/redispeer, kept
// only for threads/store_test.go while threads is being split (its files
// are not to be edited meanwhile). Use redispeer; when threads imports it,
// delete this package.
package redistest

import (
	"testing"

	"parley/internal/testpeers/redispeer"
)

// Redis is redispeer.Redis.
type Redis = redispeer.Redis

// New is redispeer.New.
func New(t testing.TB) *Redis {
	t.Helper()
	return redispeer.New(t)
}
