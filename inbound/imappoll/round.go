package imappoll

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"runtime/debug"
	"slices"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"parley/inbound"
)

// sizeBatch is how many messages have their size asked in one FETCH.
// Bodies are then fetched one at a time, so memory holds one message.
const sizeBatch = 50

// round folds in the unseen messages above the last UID, oldest first. It
// returns how many new messages it found and, when a temporary refusal
// ended it early, how soon to try again. An error means the connection is
// unusable.
func (p *Poller) round(ctx context.Context, c *imapclient.Client, wc *watchedConn, caps imap.CapSet) (found int, retry time.Duration, err error) {
	uids, err := p.newUIDs(c)
	if err != nil {
		return 0, 0, err
	}
	found = len(uids)
	for len(uids) > 0 {
		batch := uids[:min(sizeBatch, len(uids))]
		uids = uids[len(batch):]
		sizes, err := messageSizes(c, batch)
		if err != nil {
			return found, 0, err
		}
		for _, uid := range batch {
			if ctx.Err() != nil {
				return found, 0, ctx.Err()
			}
			size, ok := sizes[uid]
			if !ok {
				continue // expunged meanwhile
			}
			retry, err := p.message(ctx, c, wc, caps, uid, size)
			if err != nil || retry > 0 {
				return found, retry, err
			}
		}
	}
	return found, 0, nil
}

// newUIDs searches for unseen, undeleted messages above the last UID.
func (p *Poller) newUIDs(c *imapclient.Client) ([]imap.UID, error) {
	if p.st.lastUID == math.MaxUint32 {
		return nil, nil // no UID can follow; the server must change UIDVALIDITY
	}
	var set imap.UIDSet
	set.AddRange(imap.UID(p.st.lastUID+1), 0) // last+1:*
	data, err := c.UIDSearch(&imap.SearchCriteria{
		UID:     []imap.UIDSet{set},
		NotFlag: []imap.Flag{imap.FlagSeen, imap.FlagDeleted},
	}, nil).Wait()
	if err != nil {
		return nil, fmt.Errorf("imap search for new messages: %w", err)
	}
	var uids []imap.UID
	for _, uid := range data.AllUIDs() {
		// "n:*" also matches the highest UID when it is below n.
		if uint32(uid) > p.st.lastUID {
			uids = append(uids, uid)
		}
	}
	slices.Sort(uids)
	return uids, nil
}

// messageSizes asks the size of each message of uids.
func messageSizes(c *imapclient.Client, uids []imap.UID) (map[imap.UID]int64, error) {
	msgs, err := c.Fetch(imap.UIDSetNum(uids...), &imap.FetchOptions{UID: true, RFC822Size: true}).Collect()
	if err != nil {
		return nil, fmt.Errorf("imap fetch sizes: %w", err)
	}
	sizes := make(map[imap.UID]int64, len(msgs))
	for _, m := range msgs {
		if m.UID != 0 {
			sizes[m.UID] = m.RFC822Size
		}
	}
	return sizes, nil
}

// message fetches one message, hands it over and settles it. retry > 0
// says that it was refused for now and left untouched.
func (p *Poller) message(ctx context.Context, c *imapclient.Client, wc *watchedConn, caps imap.CapSet, uid imap.UID, size int64) (retry time.Duration, err error) {
	log := p.log.With("uid", uint32(uid))
	limit := p.opt.MaxMessageBytes
	if size > limit {
		log.Warn("imap message too large: flagged and skipped", "size", size, "max", limit)
		return 0, p.setAside(ctx, c, uid)
	}
	raw, err := fetchBody(c, uid, limit)
	if err != nil {
		return 0, err
	}
	if raw == nil {
		return 0, nil // expunged meanwhile
	}
	if int64(len(raw)) > limit {
		log.Warn("imap message larger than announced: flagged and skipped", "size", size, "max", limit)
		return 0, p.setAside(ctx, c, uid)
	}

	env := envelope(p.acct.mailbox, raw)
	wc.setQuiet(true) // the server owes no answer while the message is folded in
	res, err := p.receive(ctx, env, raw)
	wc.setQuiet(false)
	switch {
	case err == nil:
		p.tempFailed = 0
		log.Info("imap message folded in", "outcome", string(res.Outcome), "room", res.Room,
			"member", res.Member, "line", res.Line, "note", res.Note, "size", len(raw))
	case errors.Is(err, errPanicked):
		log.Error("imap message made the receiver panic: flagged and skipped", p.errAttr(err))
		return 0, p.setAside(ctx, c, uid)
	case ctx.Err() != nil:
		return 0, ctx.Err()
	case inbound.AsError(err).Temporary:
		p.tempFailed++
		// At least a moment: a zero retry would read as "settled".
		retry = max(p.opt.Backoff(p.tempFailed), 10*time.Millisecond)
		log.Warn("imap message refused for now: left unseen, retrying later", p.errAttr(err), "retry_in", retry)
		return retry, nil
	default:
		p.tempFailed = 0
		log.Warn("imap message refused", "reason", inbound.AsError(err).Reason, p.errAttr(err))
	}
	return 0, p.settle(ctx, c, caps, uid, log)
}

// errPanicked marks a Receive that panicked.
var errPanicked = errors.New("receiver panicked")

// receive calls the Receiver; a panic becomes an error, so that one bad
// message is set aside instead of stopping the poller again at each start.
func (p *Poller) receive(ctx context.Context, env inbound.Envelope, raw []byte) (res inbound.Result, err error) {
	defer func() {
		if v := recover(); v != nil {
			p.log.Error("imap receiver panic", "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
			err = fmt.Errorf("%w: %v", errPanicked, v)
		}
	}()
	return p.recv.Receive(ctx, env, raw)
}

// fetchBody returns the whole message (BODY.PEEK[], which leaves \Seen
// alone), or nil when it is gone. It reads at most limit+1 bytes; the rest
// of a larger literal is read and thrown away by the client.
func fetchBody(c *imapclient.Client, uid imap.UID, limit int64) ([]byte, error) {
	section := &imap.FetchItemBodySection{Peek: true}
	cmd := c.Fetch(imap.UIDSetNum(uid), &imap.FetchOptions{UID: true, BodySection: []*imap.FetchItemBodySection{section}})
	defer cmd.Close()
	var raw []byte
	for msg := cmd.Next(); msg != nil; msg = cmd.Next() {
		for item := msg.Next(); item != nil; item = msg.Next() {
			body, ok := item.(imapclient.FetchItemDataBodySection)
			if !ok || body.Literal == nil || !body.MatchCommand(section) {
				continue
			}
			b, err := io.ReadAll(io.LimitReader(body.Literal, limit+1))
			if err != nil {
				return nil, fmt.Errorf("imap fetch message %d: %w", uid, err)
			}
			raw = b
		}
	}
	if err := cmd.Close(); err != nil {
		return nil, fmt.Errorf("imap fetch message %d: %w", uid, err)
	}
	return raw, nil
}

// settle does Options.After to a message that was folded in or refused for
// good, then moves the last UID past it. When the server refuses (NO), the
// message has still been folded in: that is logged and it is left where
// it is; only a connection error is returned (the message is then handed
// over again after reconnecting, and parley recognises its Message-ID).
func (p *Poller) settle(ctx context.Context, c *imapclient.Client, caps imap.CapSet, uid imap.UID, log *slog.Logger) error {
	set := imap.UIDSetNum(uid)
	var err error
	switch p.after.kind {
	case "seen":
		err = storeFlags(c, set, imap.FlagSeen)
	case "delete":
		err = storeFlags(c, set, imap.FlagSeen, imap.FlagDeleted)
		if err == nil {
			err = expunge(c, caps, set)
		}
	case "move":
		err = storeFlags(c, set, imap.FlagSeen)
		if err == nil {
			err = p.move(c, caps, set)
		}
	}
	if err != nil {
		var ierr *imap.Error
		if !errors.As(err, &ierr) {
			return err
		}
		log.Error("imap server refused to settle a message that was folded in; left in place", p.errAttr(err), "after", p.opt.After)
	}
	p.advance(ctx, uid)
	return nil
}

// setAside flags a message for a person to look at and moves the last UID
// past it, leaving it unseen.
func (p *Poller) setAside(ctx context.Context, c *imapclient.Client, uid imap.UID) error {
	if err := storeFlags(c, imap.UIDSetNum(uid), imap.FlagFlagged); err != nil {
		var ierr *imap.Error
		if !errors.As(err, &ierr) {
			return err
		}
		p.log.Warn("imap could not flag a skipped message", "uid", uint32(uid), p.errAttr(err))
	}
	p.advance(ctx, uid)
	return nil
}

// advance records that the poller is done with uid.
func (p *Poller) advance(ctx context.Context, uid imap.UID) {
	if uint32(uid) > p.st.lastUID {
		p.st.lastUID = uint32(uid)
		p.saveState(ctx)
	}
}

// storeFlags adds flags to the messages of set.
func storeFlags(c *imapclient.Client, set imap.UIDSet, flags ...imap.Flag) error {
	err := c.Store(set, &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: flags}, nil).Close()
	if err != nil {
		return fmt.Errorf("imap store %v on %v: %w", flags, set, err)
	}
	return nil
}

// expunge removes the \Deleted messages of set: UID EXPUNGE when the server
// has UIDPLUS, else EXPUNGE (which removes every \Deleted message).
func expunge(c *imapclient.Client, caps imap.CapSet, set imap.UIDSet) error {
	var cmd *imapclient.ExpungeCommand
	if caps.Has(imap.CapUIDPlus) {
		cmd = c.UIDExpunge(set)
	} else {
		cmd = c.Expunge()
	}
	if err := cmd.Close(); err != nil {
		return fmt.Errorf("imap expunge %v: %w", set, err)
	}
	return nil
}

// move moves the messages of set to the After folder, creating it when the
// server says it is missing (TRYCREATE). Without MOVE it copies, marks
// \Deleted and expunges, one command after the other: imapclient's own
// fallback sends all three at once, so a failed COPY would still delete.
func (p *Poller) move(c *imapclient.Client, caps imap.CapSet, set imap.UIDSet) error {
	err := p.moveOnce(c, caps, set)
	var ierr *imap.Error
	if errors.As(err, &ierr) && ierr.Code == imap.ResponseCodeTryCreate {
		if cerr := c.Create(p.after.folder, nil).Wait(); cerr != nil {
			if !errors.As(cerr, &ierr) || ierr.Code != imap.ResponseCodeAlreadyExists {
				return fmt.Errorf("imap create %s: %w", p.after.folder, cerr)
			}
		} else {
			p.log.Info("imap created the folder for settled messages", "folder", p.after.folder)
		}
		err = p.moveOnce(c, caps, set)
	}
	return err
}

func (p *Poller) moveOnce(c *imapclient.Client, caps imap.CapSet, set imap.UIDSet) error {
	if caps.Has(imap.CapMove) {
		if _, err := c.Move(set, p.after.folder).Wait(); err != nil {
			return fmt.Errorf("imap move %v to %s: %w", set, p.after.folder, err)
		}
		return nil
	}
	if _, err := c.Copy(set, p.after.folder).Wait(); err != nil {
		return fmt.Errorf("imap copy %v to %s: %w", set, p.after.folder, err)
	}
	if err := storeFlags(c, set, imap.FlagDeleted); err != nil {
		return err
	}
	return expunge(c, caps, set)
}
