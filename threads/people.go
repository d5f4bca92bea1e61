package threads

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/redis/go-redis/v9"
)

// Limits of people search.
const (
	// MaxSearchCandidates is the most people one search weighs before
	// ranking; a broader search is refused with a request to narrow it.
	MaxSearchCandidates = 5000
	// MaxPeoplePage is the most matches one search returns.
	MaxPeoplePage   = 100
	maxSearchOffset = 10000
)

// PeopleQuery is a people search. Every criterion given must match; with
// none, the search finds the people who share at least one interest with
// the viewer.
type PeopleQuery struct {
	// Name matches the start of the name or of any word in it, in any case:
	// "arch" finds Alice Archer.
	Name string `json:"name,omitempty"`
	// Interests must all be in the person's profile.
	Interests []string `json:"interests,omitempty"`
	// Fields maps searchable profile fields to a value that must start the
	// field's value or a word in it, in any case.
	Fields map[string]string `json:"fields,omitempty"`
	// Limit caps the matches (20 when 0, at most MaxPeoplePage); Offset
	// skips that many first, for paging.
	Limit  int `json:"limit,omitempty"`
	Offset int `json:"offset,omitempty"`
	// Everyone: with no other criterion, find everyone (still ranked by
	// shared interests, then by name) instead of who shares an interest.
	Everyone bool `json:"everyone,omitempty"`
}

// PersonMatch is one person found: what colleagues may read of them, and
// the interests they share with the viewer.
type PersonMatch struct {
	ID        string            `json:"id"`
	Name      string            `json:"name"`
	TimeZone  string            `json:"tz,omitempty"`
	Title     string            `json:"title,omitempty"`
	Team      string            `json:"team,omitempty"`
	Interests []string          `json:"interests,omitempty"`
	Fields    map[string]string `json:"fields,omitempty"`
	// Shared are the interests the person shares with the viewer.
	Shared []string `json:"shared,omitempty"`
}

// SearchPeople finds people for viewer (a user id, or "" for nobody in
// particular), ranked by how many interests they share with the viewer,
// then by name. The viewer and disabled users are never in the result.
// It reads the search indexes, never every user.
func (s *Directory) SearchPeople(ctx context.Context, viewer string, q PeopleQuery) ([]PersonMatch, error) {
	q, err := s.checkQuery(ctx, q)
	if err != nil {
		return nil, err
	}
	var mine []string
	if viewer != "" {
		v, err := s.User(ctx, viewer)
		if err != nil {
			return nil, err
		}
		mine = v.Profile.Interests
	}
	var cands []string
	switch {
	case q.Everyone && q.Name == "" && len(q.Interests) == 0 && len(q.Fields) == 0:
		if cands, err = s.rdb.HKeys(ctx, s.k.users()).Result(); err != nil {
			return nil, fmt.Errorf("list people: %w", err)
		}
	case q.Name == "" && len(q.Interests) == 0 && len(q.Fields) == 0:
		if len(mine) == 0 {
			return nil, invalid("search by name, interest or field, or give a viewer with interests to find who shares them")
		}
		keys := make([]string, len(mine))
		for i, in := range mine {
			keys[i] = s.k.interest(in)
		}
		if cands, err = s.rdb.SUnion(ctx, keys...).Result(); err != nil {
			return nil, fmt.Errorf("search people: %w", err)
		}
	default:
		if cands, err = s.candidates(ctx, q); err != nil {
			return nil, err
		}
	}
	if len(cands) > MaxSearchCandidates {
		return nil, invalid("more than %d people match; narrow the search", MaxSearchCandidates)
	}
	cands = without(cands, viewer)
	found, err := s.usersByID(ctx, cands)
	if err != nil {
		return nil, fmt.Errorf("search people: %w", err)
	}
	out := make([]PersonMatch, 0, len(found))
	for _, u := range found {
		if !q.matches(u) {
			continue // a stale index entry (see ReindexPeople): the user decides
		}
		m := PersonMatch{ID: u.ID, Name: u.Name, TimeZone: u.TimeZone, Title: u.Profile.Title, Team: u.Profile.Team,
			Interests: u.Profile.Interests, Fields: u.Profile.Fields}
		for _, in := range u.Profile.Interests {
			if contains(mine, in) {
				m.Shared = append(m.Shared, in)
			}
		}
		out = append(out, m)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if len(a.Shared) != len(b.Shared) {
			return len(a.Shared) > len(b.Shared)
		}
		if an, bn := strings.ToLower(a.Name), strings.ToLower(b.Name); an != bn {
			return an < bn
		}
		return a.ID < b.ID
	})
	if q.Offset >= len(out) {
		return []PersonMatch{}, nil
	}
	out = out[q.Offset:]
	return out[:min(len(out), q.Limit)], nil
}

// matches reports whether u, as stored, answers q: the indexes choose the
// candidates, the users themselves decide.
func (q PeopleQuery) matches(u User) bool {
	if u.Disabled {
		return false
	}
	prefixOf := func(text, prefix string) bool {
		for _, w := range wordStarts(text) {
			if strings.HasPrefix(w, prefix) {
				return true
			}
		}
		return false
	}
	if q.Name != "" && !prefixOf(u.Name, q.Name) {
		return false
	}
	for _, in := range q.Interests {
		if !contains(u.Profile.Interests, in) {
			return false
		}
	}
	for f, v := range q.Fields {
		if !prefixOf(u.Profile.Fields[f], v) {
			return false
		}
	}
	return true
}

// ReindexPeople rebuilds the people-search indexes and the field holder
// counts from the stored users, and returns how many users it indexed.
// Index entries that went stale never give a wrong answer (SearchPeople
// checks every candidate against the user), but a missing one hides a user.
// Run it once after upgrading from a version without profiles (users
// stored before were not indexed), or to repair the indexes. It is one
// transaction, retried when a user changes meanwhile.
func (s *Directory) ReindexPeople(ctx context.Context) (int, error) {
	only, err := s.indexedFields(ctx)
	if err != nil {
		return 0, fmt.Errorf("reindex people: %w", err)
	}
	for attempt := 0; attempt < 10; attempt++ {
		n := 0
		err := s.rdb.Watch(ctx, func(tx *redis.Tx) error {
			all, err := tx.HGetAll(ctx, s.k.users()).Result()
			if err != nil {
				return err
			}
			defs, err := tx.HKeys(ctx, s.k.fieldDefs()).Result()
			if err != nil {
				return err
			}
			known, err := tx.SMembers(ctx, s.k.interestNames()).Result()
			if err != nil {
				return err
			}
			var entries []indexEntry
			held := map[string]int{}
			interests := map[string]bool{}
			for id, data := range all {
				u, err := s.decodeUser(id, data)
				if err != nil {
					return err
				}
				for f := range u.Profile.Fields {
					held[f]++
				}
				for _, in := range u.Profile.Interests {
					interests[in] = true
				}
				entries = append(entries, s.indexEntries(&u, only)...)
			}
			n = len(all)
			_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
				p.Del(ctx, s.k.names(), s.k.fieldHeld())
				for _, f := range defs {
					p.Del(ctx, s.k.fieldValues(f))
				}
				for _, in := range known {
					p.Del(ctx, s.k.interest(in))
				}
				p.Del(ctx, s.k.interestNames())
				for in := range interests {
					p.Del(ctx, s.k.interest(in))
					p.SAdd(ctx, s.k.interestNames(), in)
				}
				for _, e := range entries {
					if e.zset {
						p.ZAdd(ctx, e.key, redis.Z{Member: e.member})
					} else {
						p.SAdd(ctx, e.key, e.member)
					}
				}
				for f, c := range held {
					p.HSet(ctx, s.k.fieldHeld(), f, c)
				}
				return nil
			})
			return err
		}, s.k.users())
		if errors.Is(err, redis.TxFailedErr) {
			continue
		}
		if err != nil {
			return 0, fmt.Errorf("reindex people: %w", err)
		}
		return n, nil
	}
	return 0, fmt.Errorf("reindex people: %w", errConflict)
}

// checkQuery validates and normalises a query; fields must be defined and
// searchable.
func (s *Directory) checkQuery(ctx context.Context, q PeopleQuery) (PeopleQuery, error) {
	switch {
	case q.Limit < 0 || q.Offset < 0:
		return q, invalid("limit and offset must not be negative")
	case q.Limit == 0:
		q.Limit = 20
	case q.Limit > MaxPeoplePage:
		q.Limit = MaxPeoplePage
	}
	if q.Offset > maxSearchOffset {
		return q, invalid("offset %d is beyond %d", q.Offset, maxSearchOffset)
	}
	name, err := profileText("name", q.Name, 100)
	if err != nil {
		return q, err
	}
	q.Name = strings.Join(strings.Fields(strings.ToLower(name)), " ")
	if len(q.Interests) > MaxInterests {
		return q, invalid("search for at most %d interests", MaxInterests)
	}
	var ins []string
	for _, in := range q.Interests {
		n, err := NormalizeInterest(in)
		if err != nil {
			return q, err
		}
		ins = append(ins, n)
	}
	q.Interests = ins
	if len(q.Fields) == 0 {
		return q, nil
	}
	defs, err := s.dir.ProfileFields(ctx)
	if err != nil {
		return q, err
	}
	fields := map[string]string{}
	for f, v := range q.Fields {
		var def *ProfileField
		for i := range defs {
			if defs[i].Name == f {
				def = &defs[i]
			}
		}
		switch {
		case def == nil:
			return q, invalid("profile field %q is not defined", f)
		case !def.Searchable:
			return q, invalid("profile field %q is not searchable", f)
		}
		v, err := profileText("profile field "+f, v, MaxFieldValue)
		if err != nil {
			return q, err
		}
		if v = strings.Join(strings.Fields(strings.ToLower(v)), " "); v == "" {
			return q, invalid("search value for profile field %q is empty", f)
		}
		fields[f] = v
	}
	q.Fields = fields
	return q, nil
}

// candidates returns the ids matching every criterion of q, from the
// indexes, in one round trip.
func (s *Directory) candidates(ctx context.Context, q PeopleQuery) ([]string, error) {
	var lex []*redis.StringSliceCmd
	var inter *redis.StringSliceCmd
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		prefix := func(key, v string) {
			lex = append(lex, p.ZRangeByLex(ctx, key, &redis.ZRangeBy{Min: "[" + v, Max: "[" + v + "\xff",
				Count: 4 * MaxSearchCandidates}))
		}
		if q.Name != "" {
			prefix(s.k.names(), q.Name)
		}
		for f, v := range q.Fields {
			prefix(s.k.fieldValues(f), v)
		}
		if len(q.Interests) > 0 {
			keys := make([]string, len(q.Interests))
			for i, in := range q.Interests {
				keys[i] = s.k.interest(in)
			}
			inter = p.SInter(ctx, keys...)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("search people: %w", err)
	}
	var sets [][]string
	for _, c := range lex {
		var ids []string
		seen := map[string]bool{}
		for _, m := range c.Val() {
			if _, id, ok := strings.Cut(m, "\x00"); ok && !seen[id] {
				seen[id] = true
				ids = append(ids, id)
			}
		}
		if len(c.Val()) == 4*MaxSearchCandidates {
			return nil, invalid("more than %d people match; narrow the search", MaxSearchCandidates)
		}
		sets = append(sets, ids)
	}
	if inter != nil {
		sets = append(sets, inter.Val())
	}
	out := sets[0]
	for _, set := range sets[1:] {
		keep := map[string]bool{}
		for _, id := range set {
			keep[id] = true
		}
		var both []string
		for _, id := range out {
			if keep[id] {
				both = append(both, id)
			}
		}
		out = both
	}
	return out, nil
}

func without(list []string, v string) []string {
	out := list[:0]
	for _, x := range list {
		if x != v {
			out = append(out, x)
		}
	}
	return out
}
