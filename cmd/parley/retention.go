package main

import (
	"context"
	"log/slog"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"parley/internal/blobs"
	"parley/threads"
)

// retentionEvery is how often parley serve removes lines older than the
// retention (parley admin retention).
const retentionEvery = time.Hour

// retentionLoop applies the retention at start and then every interval,
// until ctx ends, and deletes the files (from files, when not nil) that no
// line holds any more. Several parley processes may run it: trimming is
// idempotent.
func retentionLoop(ctx context.Context, st *threads.Store, files *blobs.Store, log *slog.Logger, every time.Duration) {
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
		if files != nil {
			deleteGoneFiles(ctx, st.Chat, files, log)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// deleteGoneFiles deletes the files retention left without a line.
func deleteGoneFiles(ctx context.Context, chat *threads.Chat, files *blobs.Store, log *slog.Logger) {
	deleted := 0
	for ctx.Err() == nil {
		ids, err := chat.TakeGoneFiles(ctx, 100)
		if err != nil {
			log.Warn("files to delete", "err", err)
			return
		}
		for _, id := range ids {
			if err := files.Delete(id); err != nil {
				log.Warn("delete file", "file", id[:min(12, len(id))], "err", err)
				continue
			}
			deleted++
		}
		if len(ids) < 100 {
			break
		}
	}
	if deleted > 0 {
		log.Info("files removed by retention", "files", deleted)
	}
}
