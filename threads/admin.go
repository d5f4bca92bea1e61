package threads

import (
	"context"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/redis/go-redis/v9"
)

// The admin's controls over users and the organisation's settings. Each
// change is written to the audit log under the actor who made it: a user
// id, or "cli" for the command line.

// SetRole gives a user a role.
func (s *Directory) SetRole(ctx context.Context, actor, user string, role Role) (User, error) {
	if role != RoleMember && role != RoleAdmin {
		return User{}, invalid("role %q is not member or admin", role)
	}
	var was Role
	u, err := s.UpdateUser(ctx, user, func(u *User) error {
		was, u.Role = u.Role, role
		return nil
	})
	if err != nil {
		return u, err
	}
	return u, s.auditDone(ctx, AuditEntry{Actor: actor, Action: "user.role", Target: user,
		Detail: fmt.Sprintf("%s -> %s", orNone(string(was)), role)})
}

// DisableUser disables a user: they get no deliveries (routing sends them
// nothing, not even a digest), people search no longer finds them, and
// they cannot be added to rooms. Their rooms, lines and profile are kept,
// so EnableUser brings everything back.
func (s *Directory) DisableUser(ctx context.Context, actor, user string) (User, error) {
	return s.setDisabled(ctx, actor, user, true)
}

// EnableUser undoes DisableUser.
func (s *Directory) EnableUser(ctx context.Context, actor, user string) (User, error) {
	return s.setDisabled(ctx, actor, user, false)
}

func (s *Directory) setDisabled(ctx context.Context, actor, user string, disabled bool) (User, error) {
	u, err := s.dir.UpdateUser(ctx, user, func(u *User) error {
		u.Disabled = disabled
		if disabled {
			// Disabling revokes for good: enabling again does not bring the
			// old addresses back.
			u.TokenGen++
		}
		return nil
	})
	if err != nil {
		return u, err
	}
	action := "user.enable"
	if disabled {
		action = "user.disable"
	}
	return u, s.auditDone(ctx, AuditEntry{Actor: actor, Action: action, Target: user})
}

var domainPattern = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$`)

// NormalizeDomain checks an email domain (example.org, or @example.org) and
// lower-cases it. Internationalised domains are given in their xn-- form.
func NormalizeDomain(d string) (string, error) {
	n := strings.TrimPrefix(strings.ToLower(strings.TrimSpace(d)), "@")
	if len(n) > 253 || !domainPattern.MatchString(n) {
		return "", invalid("domain %q is not like example.org", d)
	}
	return n, nil
}

// AllowedDomains returns the email domains new addresses must belong to,
// sorted; empty means any domain.
func (s *Directory) AllowedDomains(ctx context.Context) ([]string, error) {
	ds, err := s.rdb.SMembers(ctx, s.k.domains()).Result()
	if err != nil {
		return nil, fmt.Errorf("read allowed domains: %w", err)
	}
	sort.Strings(ds)
	return ds, nil
}

// SetAllowedDomains replaces the allowed email domains (none: any domain).
// From then on AddUser and UpdateUser refuse an address outside them; the
// addresses users already have are kept, so that nobody is cut off. It
// returns the list as stored.
func (s *Directory) SetAllowedDomains(ctx context.Context, actor string, domains []string) ([]string, error) {
	var list []string
	for _, d := range domains {
		n, err := NormalizeDomain(d)
		if err != nil {
			return nil, err
		}
		if !contains(list, n) {
			list = append(list, n)
		}
	}
	sort.Strings(list)
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Del(ctx, s.k.domains())
		for _, d := range list {
			p.SAdd(ctx, s.k.domains(), d)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("set allowed domains: %w", err)
	}
	return list, s.auditDone(ctx, AuditEntry{Actor: actor, Action: "domains.set", Target: "allowed domains",
		Detail: orNone(strings.Join(list, ", "))})
}

// domainRefused is the error for an address outside the allowed domains.
func (s *Directory) domainRefused(ctx context.Context, addr string) error {
	_, domain, _ := strings.Cut(addr, "@")
	allowed, err := s.dir.AllowedDomains(ctx)
	list := strings.Join(allowed, ", ")
	if err != nil {
		list = "see parley admin domains"
	}
	return invalid("email %s: domain %s is not allowed for members (allowed: %s)", addr, domain, list)
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}
