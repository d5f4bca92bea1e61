package threads

import (
	"context"
	"crypto/hmac"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// File links. A file posted in a room reaches the members who follow it by
// email or SMS as a link that needs no sign-in:
// PUBLIC_URL/f/TOKEN/NAME. The token names the room, the line, the file's
// place on the line and the member, with an expiry, and ends in an HMAC of
// all of them, the file's id and the member's token generation under the
// deployment's secret. Nothing is stored: the link stops working when it
// expires, when the member leaves the room or is disabled, when their
// tokens are rotated (the generation goes up), or when retention removes
// the line (the line, and so the file, is gone).
//
//	design~kq2x1c3k-0~0~bob~t5x2hc~<24 base32 characters>
//
// room ~ line time (base 36) - sequence ~ file index ~ member ~ expiry
// (unix seconds, base 36) ~ MAC. Room and user ids never hold '~'.

// filePurpose separates file-link MACs from every other token's.
const filePurpose = "file"

// fileMACLen is the bytes of HMAC a file token keeps (120 bits).
const fileMACLen = 15

// maxFileToken is the longest token ParseFileToken looks at.
const maxFileToken = 256

// ErrLinkExpired: a file link that verifies but is past its expiry; a
// fresh one can be sent to the member it was made for.
var ErrLinkExpired = errors.New("file link expired")

// ErrFileGone: a file link whose line or file no longer exists (removed by
// retention).
var ErrFileGone = errors.New("file no longer kept")

// FileRef names one file of one line, for one member.
type FileRef struct {
	Room   string
	Line   string
	Index  int
	Member string
}

// FileClaim is what a file token says, before it is checked.
type FileClaim struct {
	FileRef
	Expires time.Time
	mac     string
}

// FileGrant is a checked file link: the file it opens, for whom.
type FileGrant struct {
	FileRef
	Expires time.Time
	File    Attachment
}

// ParseFileToken splits a file token into its parts. It checks the shape
// only; ResolveFileToken checks the MAC and everything else.
func ParseFileToken(tok string) (FileClaim, error) {
	var c FileClaim
	if len(tok) > maxFileToken {
		return c, ErrBadToken
	}
	p := strings.Split(tok, "~")
	if len(p) != 6 {
		return c, ErrBadToken
	}
	if ValidID("room", p[0]) != nil || ValidID("user", p[3]) != nil {
		return c, ErrBadToken
	}
	ms, seq, ok := strings.Cut(p[1], "-")
	if !ok {
		return c, ErrBadToken
	}
	msv, err1 := strconv.ParseUint(ms, 36, 63)
	seqv, err2 := strconv.ParseUint(seq, 10, 63)
	idx, err3 := strconv.ParseUint(p[2], 10, 8)
	exp, err4 := strconv.ParseUint(p[4], 36, 40)
	if err1 != nil || err2 != nil || err3 != nil || err4 != nil || idx >= MaxAttachments {
		return c, ErrBadToken
	}
	if len(p[5]) != 24 {
		return c, ErrBadToken
	}
	if _, err := tokenEncoding.DecodeString(strings.ToUpper(p[5])); err != nil {
		return c, ErrBadToken
	}
	c.FileRef = FileRef{Room: p[0], Line: strconv.FormatUint(msv, 10) + "-" + strconv.FormatUint(seqv, 10),
		Index: int(idx), Member: p[3]}
	c.Expires = time.Unix(int64(exp), 0).UTC()
	c.mac = p[5]
	return c, nil
}

// fileTokenBody is the token without its MAC, canonical for ref and exp.
func fileTokenBody(ref FileRef, exp time.Time) (string, error) {
	ms, seq, ok := strings.Cut(ref.Line, "-")
	msv, err1 := strconv.ParseUint(ms, 10, 63)
	seqv, err2 := strconv.ParseUint(seq, 10, 63)
	if !ok || err1 != nil || err2 != nil {
		return "", invalid("line id %q is not like 1732500000000-0", ref.Line)
	}
	if err := ValidID("room", ref.Room); err != nil {
		return "", err
	}
	if err := ValidID("user", ref.Member); err != nil {
		return "", err
	}
	if ref.Index < 0 || ref.Index >= MaxAttachments {
		return "", invalid("file index %d is out of range", ref.Index)
	}
	return ref.Room + "~" + strconv.FormatUint(msv, 36) + "-" + strconv.FormatUint(seqv, 10) + "~" +
		strconv.Itoa(ref.Index) + "~" + ref.Member + "~" + strconv.FormatInt(exp.Unix(), 36), nil
}

// fileMAC is the MAC part of a file token: body, the file's id and the
// member's token generation under key.
func fileMAC(key []byte, body, fileID string, gen int) string {
	return macText(key, fileMACLen, filePurpose, body, fileID, strconv.Itoa(gen))
}

// FileToken makes the token of a link to file (the attachment at
// ref.Index of line ref.Line) for member ref.Member, whose token generation
// is gen, valid until expires. It needs no round trip.
func (s *Auth) FileToken(ref FileRef, fileID string, gen int, expires time.Time) (string, error) {
	if len(s.opts.Secret) == 0 {
		return "", errors.New("file links need a secret (PARLEY_SECRET)")
	}
	body, err := fileTokenBody(ref, expires)
	if err != nil {
		return "", fmt.Errorf("file link: %w", err)
	}
	return body + "~" + fileMAC(s.opts.Secret, body, fileID, gen), nil
}

// ResolveFileToken checks a file link and returns the file it opens. A
// token that is malformed, forged, made under an older token generation,
// or for a member who is disabled or no longer in the room is ErrBadToken;
// one whose line or file is gone is ErrFileGone; one past its expiry but
// otherwise good is ErrLinkExpired, with the grant filled in so that a
// fresh link can be sent to the member.
func (s *Auth) ResolveFileToken(ctx context.Context, tok string) (FileGrant, error) {
	c, err := ParseFileToken(tok)
	if err != nil {
		return FileGrant{}, err
	}
	if len(s.opts.Secret) == 0 {
		return FileGrant{}, errors.New("file links need a secret (PARLEY_SECRET)")
	}
	u, err := s.dir.User(ctx, c.Member)
	if errors.Is(err, ErrNotFound) || err == nil && u.Disabled {
		return FileGrant{}, ErrBadToken
	}
	if err != nil {
		return FileGrant{}, fmt.Errorf("file link: %w", err)
	}
	in, err := s.chat.IsMember(ctx, c.Room, c.Member)
	if errors.Is(err, ErrNotFound) {
		return FileGrant{}, ErrBadToken
	}
	if err != nil {
		return FileGrant{}, fmt.Errorf("file link: %w", err)
	}
	if !in {
		return FileGrant{}, ErrBadToken
	}
	line, err := s.chat.Line(ctx, c.Room, c.Line)
	if errors.Is(err, ErrNotFound) {
		return FileGrant{}, ErrFileGone
	}
	if err != nil {
		return FileGrant{}, fmt.Errorf("file link: %w", err)
	}
	if c.Index >= len(line.Attachments) {
		return FileGrant{}, ErrBadToken
	}
	att := line.Attachments[c.Index]
	body, err := fileTokenBody(c.FileRef, c.Expires)
	if err != nil {
		return FileGrant{}, ErrBadToken
	}
	ok := false
	for _, key := range s.keyRing() {
		if hmac.Equal([]byte(fileMAC(key, body, att.ID, u.TokenGen)), []byte(strings.ToLower(c.mac))) {
			ok = true
		}
	}
	if !ok {
		return FileGrant{}, ErrBadToken
	}
	g := FileGrant{FileRef: c.FileRef, Expires: c.Expires, File: att}
	if !s.now().Before(c.Expires) {
		return g, ErrLinkExpired
	}
	return g, nil
}
