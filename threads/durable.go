package threads

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// ErrReplicas: a line was stored on the master, but fewer replicas than
// Options.ReplicaWait acknowledged it in time. The door answers with a
// temporary error; the sender's retry finds the line by its source id and
// stores nothing twice, and fan-out recovery routes the line meanwhile.
var ErrReplicas = errors.New("not enough replicas acknowledged the write")

// A durable post (Options.ReplicaWait > 0) runs the post script on one
// connection to the master of the room's slot and then WAIT N timeout on
// that same connection: WAIT counts the replicas that have every write of
// the connection it is sent on, so it cannot go through the shared
// pipelines (batcher.go) or, on a cluster, a keyless route that may pick
// another master.

// durableRun runs fill's commands, then WAIT, on one connection to the
// master that holds key, loading the script once if Redis lost it.
func (s *base) durableRun(ctx context.Context, key string, script *redis.Script, fill func(p redis.Pipeliner)) error {
	var node *redis.Client
	switch c := s.rdb.(type) {
	case *redis.ClusterClient:
		var err error
		if node, err = c.MasterForKey(ctx, key); err != nil {
			return fmt.Errorf("find the master of %s: %w", key, err)
		}
	case *redis.Client:
		node = c
	default:
		return fmt.Errorf("replica wait: unsupported client %T", s.rdb)
	}
	conn := node.Conn()
	defer conn.Close()
	var wait *redis.IntCmd
	err := s.scriptRun(ctx, []*redis.Script{script}, func(fn func(redis.Pipeliner)) ([]redis.Cmder, error) {
		return conn.Pipelined(ctx, func(p redis.Pipeliner) error {
			fn(p)
			wait = redis.NewIntCmd(ctx, "wait", s.opts.ReplicaWait, s.opts.ReplicaWaitTimeout.Milliseconds())
			_ = p.Process(ctx, wait)
			return nil
		})
	}, fill)
	if err != nil && !errors.Is(err, redis.Nil) {
		if c, ok := s.rdb.(*redis.ClusterClient); ok && redis.HasErrorPrefix(err, "MOVED") {
			c.ReloadState(ctx) // the slot moved (a failover): the next post finds the new master
		}
		return err
	}
	n, werr := wait.Result()
	if werr != nil {
		return fmt.Errorf("wait for replicas: %w", werr)
	}
	if int(n) < s.opts.ReplicaWait {
		return fmt.Errorf("%w: %d of %d within %s", ErrReplicas, n, s.opts.ReplicaWait, s.opts.ReplicaWaitTimeout)
	}
	return nil
}

// defaultReplicaWaitTimeout bounds WAIT when Options.ReplicaWaitTimeout
// is not set.
const defaultReplicaWaitTimeout = time.Second
