package threads

import (
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// fileLineAt stores a line holding atts as Post would have at time at,
// counting its files as Post does.
func (e *env) fileLineAt(t *testing.T, room string, at time.Time, seq int, atts ...Attachment) string {
	t.Helper()
	if err := e.Chat.holdFiles(e.ctx, atts); err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(atts)
	id := strconv.FormatInt(at.UnixMilli(), 10) + "-" + strconv.Itoa(seq)
	err := e.redis.Client.XAdd(e.ctx, &redis.XAddArgs{Stream: e.k.lines(room), ID: id,
		Values: []any{"a", "alice", "n", "Alice", "t", "file", "o", "web", "ts", at.UnixMilli(), "at", string(raw)}}).Err()
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func TestRetentionRemovesFiles(t *testing.T) {
	e := newEnv(t)
	e.Store.opts.Secret = []byte("0123456789abcdef0123456789abcdef")
	e.seed(t, "alice", "bob")
	e.room(t, "design", Group, "alice", "bob")
	e.room(t, "ops", Group, "alice", "bob")
	now := e.clock.Now()
	old, shared, kept := Attachment{ID: strings.Repeat("a", 64), Name: "old.pdf"}, Attachment{ID: strings.Repeat("b", 64), Name: "s.png"},
		Attachment{ID: strings.Repeat("c", 64), Name: "new.txt"}
	oldLine := e.fileLineAt(t, "design", now.Add(-40*24*time.Hour), 0, old, shared)
	e.fileLineAt(t, "ops", now.Add(-40*24*time.Hour), 0, shared) // ops keeps lines forever
	e.fileLineAt(t, "design", now.Add(-time.Hour), 0, kept)
	tok, err := e.Auth.FileToken(FileRef{Room: "design", Line: oldLine, Member: "bob"}, old.ID, 0, now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Auth.ResolveFileToken(e.ctx, tok); err != nil {
		t.Fatalf("link before retention: %v", err)
	}
	if err := e.Chat.SetRetention(e.ctx, "admin", "design", 30); err != nil {
		t.Fatal(err)
	}
	byRoom, err := e.Chat.ApplyRetentionByRoom(e.ctx)
	if err != nil || byRoom["design"] != 1 || len(byRoom) != 1 {
		t.Fatalf("ApplyRetentionByRoom = %v, %v", byRoom, err)
	}
	if _, err := e.Auth.ResolveFileToken(e.ctx, tok); !errors.Is(err, ErrFileGone) {
		t.Fatalf("link after retention: %v, want ErrFileGone", err)
	}
	gone, err := e.Chat.TakeGoneFiles(e.ctx, 100)
	if err != nil || !slices.Equal(gone, []string{old.ID}) {
		t.Fatalf("TakeGoneFiles = %v, %v; want only the file no line holds", gone, err)
	}
	if again, _ := e.Chat.TakeGoneFiles(e.ctx, 100); len(again) != 0 {
		t.Fatalf("taken twice: %v", again)
	}
	// A second run removes nothing more and counts nothing down twice.
	if byRoom, err := e.Chat.ApplyRetentionByRoom(e.ctx); err != nil || len(byRoom) != 0 {
		t.Fatalf("second run = %v, %v", byRoom, err)
	}
	if n, _ := e.redis.Client.HGet(e.ctx, e.k.fileRefs(), shared.ID).Int(); n != 1 {
		t.Fatalf("shared file held by %d lines, want 1", n)
	}
	// The ops line goes too: now the shared file is gone.
	if err := e.Chat.SetRetention(e.ctx, "admin", "ops", 30); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Chat.ApplyRetentionByRoom(e.ctx); err != nil {
		t.Fatal(err)
	}
	if gone, _ := e.Chat.TakeGoneFiles(e.ctx, 100); !slices.Equal(gone, []string{shared.ID}) {
		t.Fatalf("gone = %v, want the shared file", gone)
	}
}

func TestRetentionInChunks(t *testing.T) {
	e := newEnv(t)
	e.seed(t, "alice", "bob")
	e.room(t, "design", Group, "alice", "bob")
	base := e.clock.Now().Add(-60 * 24 * time.Hour)
	n := retentionChunk + 5
	for i := range n {
		id := Attachment{ID: strings.Repeat("0", 60) + strconv.FormatInt(int64(1000+i), 16), Name: "f"}
		e.fileLineAt(t, "design", base.Add(time.Duration(i/3)*time.Millisecond), i%3, id)
	}
	e.fileLineAt(t, "design", e.clock.Now(), 0, Attachment{ID: strings.Repeat("f", 64), Name: "new"})
	if err := e.Chat.SetRetention(e.ctx, "admin", "", 30); err != nil {
		t.Fatal(err)
	}
	byRoom, err := e.Chat.ApplyRetentionByRoom(e.ctx)
	if err != nil || byRoom["design"] != n {
		t.Fatalf("removed %v, %v; want %d", byRoom, err, n)
	}
	gone, _ := e.Chat.TakeGoneFiles(e.ctx, 10*n)
	if len(gone) != n {
		t.Fatalf("%d files gone, want %d", len(gone), n)
	}
	if left, _ := e.Chat.Lines(e.ctx, "design", Range{}); len(left) != 1 {
		t.Fatalf("%d lines left, want 1", len(left))
	}
}

func TestDuplicatePostKeepsFileCount(t *testing.T) {
	e := newEnv(t)
	e.seed(t, "alice", "bob")
	e.room(t, "design", Group, "alice", "bob")
	f := Attachment{ID: strings.Repeat("d", 64), Name: "x.pdf"}
	for range 2 {
		if _, err := e.Chat.Post(e.ctx, NewLine{Room: "design", Author: "alice", Origin: FromEmail, SourceID: "<m1@x>",
			Attachments: []Attachment{f}}); err != nil {
			t.Fatal(err)
		}
	}
	if n, _ := e.redis.Client.HGet(e.ctx, e.k.fileRefs(), f.ID).Int(); n != 1 {
		t.Fatalf("file held by %d lines after a duplicate post, want 1", n)
	}
}
