package main

import (
	"context"
	"log/slog"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"parley/threads"
)

// retentionEvery is how often parley serve removes lines older than the
// retention (parley admin retention).
const retentionEvery = time.Hour

// retentionLoop applies the retention at start and then every interval,
// until ctx ends. Several parley processes may run it: trimming is
// idempotent.
func retentionLoop(ctx context.Context, st *threads.Store, log *slog.Logger, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		byRoom, err := st.Chat.ApplyRetentionByRoom(ctx)
		if err != nil && ctx.Err() == nil {
			log.Warn("apply retention", "err", err)
		}
		if len(byRoom) > 0 {
			rooms := slices.Sorted(maps.Keys(byRoom))
			total, parts := 0, make([]string, len(rooms))
			for i, r := range rooms {
				total += byRoom[r]
				parts[i] = r + ":" + strconv.Itoa(byRoom[r])
			}
			log.Info("retention applied", "lines_removed", total, "rooms", strings.Join(parts, ","))
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
