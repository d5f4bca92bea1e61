package threads

import (
	"context"
	"fmt"

	"github.com/redis/go-redis/v9"
)

// Files are kept outside Redis (internal/blobs), named by their content,
// so one file may be held by lines of several rooms. {files}:refs counts
// the lines that hold each file: Post counts a line's files before it
// stores the line (a post that fails leaves a count one too high, which
// keeps the file longer, never shorter), and retention counts down the
// files of the lines it removes. A file no line holds goes to
// {files}:gone, from which whoever keeps the files takes it
// (Chat.TakeGoneFiles) and deletes it.

// holdFiles counts one more line holding each of atts.
func (s *Chat) holdFiles(ctx context.Context, atts []Attachment) error {
	if len(atts) == 0 {
		return nil
	}
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, a := range atts {
			p.HIncrBy(ctx, s.k.fileRefs(), a.ID, 1)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("count files: %w", err)
	}
	return nil
}

// releaseFiles counts one line less holding each of ids (one entry per
// line that held it); a file no line holds any more is marked gone. A file
// never counted (posted before the count existed) is left alone.
func (s *Chat) releaseFiles(ctx context.Context, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	if err := scriptReleaseFiles.Run(ctx, s.rdb, []string{s.k.fileRefs(), s.k.filesGone()}, args...).Err(); err != nil && err != redis.Nil {
		return fmt.Errorf("release files: %w", err)
	}
	return nil
}

// scriptReleaseFiles: KEYS refs, gone. ARGV: file ids.
var scriptReleaseFiles = redis.NewScript(`
for _, id in ipairs(ARGV) do
  if redis.call('HEXISTS', KEYS[1], id) == 1 then
    if redis.call('HINCRBY', KEYS[1], id, -1) <= 0 then
      redis.call('HDEL', KEYS[1], id)
      redis.call('SADD', KEYS[2], id)
    end
  end
end
return 0
`)

// TakeGoneFiles takes up to n files that no line holds any more, for the
// caller to delete. A file posted again since it was marked is not
// returned.
func (s *Chat) TakeGoneFiles(ctx context.Context, n int) ([]string, error) {
	ids, err := scriptTakeGone.Run(ctx, s.rdb, []string{s.k.fileRefs(), s.k.filesGone()}, n).StringSlice()
	if err != nil && err != redis.Nil {
		return nil, fmt.Errorf("take files to delete: %w", err)
	}
	return ids, nil
}

// scriptTakeGone: KEYS refs, gone. ARGV: count.
var scriptTakeGone = redis.NewScript(`
local out = {}
for _, id in ipairs(redis.call('SPOP', KEYS[2], tonumber(ARGV[1]))) do
  if redis.call('HEXISTS', KEYS[1], id) == 0 then out[#out + 1] = id end
end
return out
`)

// unholdFiles takes back the count of a post that stored nothing (a
// duplicate); a failure only keeps the files longer.
func (s *Chat) unholdFiles(ctx context.Context, atts []Attachment) {
	ids := make([]string, len(atts))
	for i, a := range atts {
		ids[i] = a.ID
	}
	if err := s.releaseFiles(ctx, ids); err != nil {
		s.log.Warn("uncount files of a duplicate post", "err", err)
	}
}
