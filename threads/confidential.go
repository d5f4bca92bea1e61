package threads

import (
	"context"
	"fmt"
)

// confidentialField marks a confidential room in its meta hash.
const confidentialField = "confidential"

// SetConfidential makes a room confidential or ordinary again (see
// Room.Confidential). Lines already queued are sent under the rule in
// force when they go out: the carriers read the room at send time.
func (s *Chat) SetConfidential(ctx context.Context, id string, on bool) error {
	if _, err := s.chat.Room(ctx, id); err != nil {
		return err
	}
	var err error
	if on {
		err = s.rdb.HSet(ctx, s.k.room(id), confidentialField, "1").Err()
	} else {
		err = s.rdb.HDel(ctx, s.k.room(id), confidentialField).Err()
	}
	if err != nil {
		return fmt.Errorf("set room %s confidential: %w", id, err)
	}
	return nil
}
