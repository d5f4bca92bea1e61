package threads

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode"

	"github.com/redis/go-redis/v9"
	"golang.org/x/text/unicode/norm"
)

// Display names that look alike are refused at the doors: "Bob" cannot join as "B0b",
// "bob", "Воb" (a Cyrillic В and о) or "B\u200bob", since every line and
// email shows the author by name. Two names look alike when their
// skeletons are equal (after Unicode TR39's idea, with a small map of the
// letters most often abused). {users}:lookalike maps each skeleton to its
// user; it is filled from the users on first use, so it needs no
// migration. Two renames to look-alike names at the very same moment may
// both pass: the check is for people, not a lock.

// confusables maps characters that look like a Latin letter to it; case
// is folded before, marks and blanks dropped after.
var confusables = map[rune]rune{
	// Cyrillic.
	'а': 'a', 'в': 'b', 'е': 'e', 'ё': 'e', 'к': 'k', 'м': 'm', 'н': 'h', 'о': 'o', 'р': 'p', 'с': 'c', 'т': 't',
	'у': 'y', 'х': 'x', 'і': 'l', 'ї': 'l', 'ј': 'j', 'ѕ': 's', 'ԁ': 'd', 'ԛ': 'q', 'ԝ': 'w', 'ү': 'y', 'һ': 'h',
	// Greek.
	'α': 'a', 'β': 'b', 'ε': 'e', 'η': 'n', 'ι': 'l', 'κ': 'k', 'μ': 'u', 'ν': 'v', 'ο': 'o', 'ρ': 'p', 'τ': 't',
	'υ': 'u', 'χ': 'x', 'ω': 'w', 'ζ': 'z',
	// Latin look-alikes and digits.
	'ı': 'l', 'i': 'l', '1': 'l', '|': 'l', 'ł': 'l', '0': 'o', 'ø': 'o', 'ɡ': 'g', 'ß': 's', '5': 's', '$': 's',
	'@': 'a', 'ð': 'd', 'đ': 'd', 'ħ': 'h',
}

// pairs that read as one letter.
var confusablePairs = strings.NewReplacer("rn", "m", "vv", "w", "cl", "d")

// NameSkeleton returns the form of a display name that look-alike names
// share: NFKC, case folded, marks, blanks, punctuation and invisible
// characters dropped, look-alike letters mapped to one Latin letter.
// Bytes that are not UTF-8 become U+FFFD first: the normalizer leaves a
// letter after such a byte undecomposed (a fuzz case: "0\xf7ī" kept its ī,
// which is an l once the byte is U+FFFD).
func NameSkeleton(name string) string {
	s := norm.NFKD.String(norm.NFKC.String(strings.ToValidUTF8(name, "\uFFFD")))
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		switch {
		case unicode.Is(unicode.Mn, r), unicode.Is(unicode.Me, r), unicode.Is(unicode.Cf, r), unicode.Is(unicode.Cc, r),
			unicode.IsSpace(r), unicode.IsPunct(r):
			continue
		}
		if c, ok := confusables[r]; ok {
			r = c
		}
		b.WriteRune(r)
	}
	return confusablePairs.Replace(b.String())
}

// ErrLookalike: the display name looks like another user's.
var ErrLookalike = fmt.Errorf("%w: the name looks like another member's", ErrExists)

// CheckName refuses a display name for user id whose skeleton another
// user's name has (ErrLookalike). Every door that lets a person choose a
// name calls it first (the admin API and CLI, the member's own page);
// AddUser and UpdateUser keep the index, but do not refuse, so that tests
// and imports may hold people of the same name.
func (s *Directory) CheckName(ctx context.Context, id, name string) error {
	if err := s.fillLookalikes(ctx); err != nil {
		return err
	}
	skel := NameSkeleton(name)
	if skel == "" {
		return nil
	}
	owner, err := s.rdb.HGet(ctx, s.k.lookalike(), skel).Result()
	if err != nil && !errors.Is(err, redis.Nil) {
		return fmt.Errorf("check name %q: %w", name, err)
	}
	if owner == "" || owner == id {
		return nil
	}
	other, err := s.User(ctx, owner)
	if err != nil || NameSkeleton(other.Name) != skel {
		return nil // a stale entry: the other user was renamed since
	}
	return fmt.Errorf("%w: %q is too like the name of %s (%s)", ErrLookalike, name, other.Name, other.ID)
}

// noteName records u's name in the look-alike index (and forgets the old
// one, if it was u's).
func (s *Directory) noteName(ctx context.Context, id, oldName, name string) error {
	if old := NameSkeleton(oldName); old != "" && old != NameSkeleton(name) {
		if owner, err := s.rdb.HGet(ctx, s.k.lookalike(), old).Result(); err == nil && owner == id {
			s.rdb.HDel(ctx, s.k.lookalike(), old)
		}
	}
	if skel := NameSkeleton(name); skel != "" {
		return s.rdb.HSet(ctx, s.k.lookalike(), skel, id).Err()
	}
	return nil
}

// fillLookalikes builds the index from every user's name, once: the
// empty field marks it built.
func (s *Directory) fillLookalikes(ctx context.Context) error {
	n, err := s.rdb.Exists(ctx, s.k.lookalike()).Result()
	if err != nil || n > 0 {
		return err
	}
	users, err := s.Users(ctx)
	if err != nil {
		return err
	}
	fields := []any{"", ""}
	for _, u := range users {
		if skel := NameSkeleton(u.Name); skel != "" {
			fields = append(fields, skel, u.ID)
		}
	}
	return s.rdb.HSet(ctx, s.k.lookalike(), fields...).Err()
}
