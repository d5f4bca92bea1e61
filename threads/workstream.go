package threads

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// A work stream is a Redis stream of small jobs (notices, transcript
// requests) read by a consumer group: each entry holds one JSON document
// in the field "n", is claimed by one consumer and deleted when settled.
// An entry a consumer claimed and never settled is taken over by another
// after a while.

// claimStream takes up to count entries of stream for consumer: first those
// another consumer claimed more than minIdle ago, then new ones. It makes
// the group on first use. It returns each entry's id and document.
func (s *base) claimStream(ctx context.Context, stream, group, consumer string, count int, minIdle time.Duration) ([]redis.XMessage, error) {
	msgs, _, err := s.rdb.XAutoClaim(ctx, &redis.XAutoClaimArgs{Stream: stream, Group: group,
		Consumer: consumer, MinIdle: minIdle, Start: "0-0", Count: int64(count)}).Result()
	if isNoGroup(err) {
		if err := s.rdb.XGroupCreateMkStream(ctx, stream, group, "0").Err(); err != nil && !strings.HasPrefix(err.Error(), "BUSYGROUP") {
			return nil, fmt.Errorf("create group %s: %w", group, err)
		}
		msgs, err = nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reclaim from %s: %w", group, err)
	}
	if len(msgs) < count {
		res, err := s.rdb.XReadGroup(ctx, &redis.XReadGroupArgs{Group: group, Consumer: consumer,
			Streams: []string{stream, ">"}, Count: int64(count - len(msgs)), Block: -1}).Result()
		if err != nil && !errors.Is(err, redis.Nil) {
			return nil, fmt.Errorf("claim from %s: %w", group, err)
		}
		for _, st := range res {
			msgs = append(msgs, st.Messages...)
		}
	}
	return msgs, nil
}

// claimJSON is claimStream with each entry's document decoded into a T and
// given its entry id with setID. An entry that does not decode is not
// ours: it is settled and dropped.
func claimJSON[T any](ctx context.Context, s *base, stream, group, consumer string, count int, minIdle time.Duration, setID func(*T, string)) ([]T, error) {
	msgs, err := s.claimStream(ctx, stream, group, consumer, count, minIdle)
	if err != nil {
		return nil, err
	}
	out := make([]T, 0, len(msgs))
	for _, m := range msgs {
		var v T
		data, _ := m.Values["n"].(string)
		if json.Unmarshal([]byte(data), &v) != nil {
			_ = s.settleStream(ctx, stream, group, m.ID)
			continue
		}
		setID(&v, m.ID)
		out = append(out, v)
	}
	return out, nil
}

// settleStream acknowledges and deletes an entry: done, or given up.
func (s *base) settleStream(ctx context.Context, stream, group, id string) error {
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		p.XAck(ctx, stream, group, id)
		p.XDel(ctx, stream, id)
		return nil
	})
	return err
}
