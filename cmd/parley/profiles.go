package main

import (
	"context"
	"flag"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"parley/threads"
)

// cliActor is the actor the audit log records for changes made with the
// command line.
const cliActor = "cli"

func profileCommands() []command {
	return []command{
		{path: "user set", args: "ID [--name N] [--email ADDR|none]... [--phone +E164|none] [--tz ZONE|none] [--digest off|daily|weekly] [--digest-hour H] " +
			"[--quiet HH:MM-HH:MM|off] [--quiet-mode hold-sms|email|hold-all] [--escalate off|30m|default] [--channel STATE=CHANNEL|default]... [--title T] [--team T] [--interests A,B|none] [--field NAME=VALUE]... [--json]",
			summary: "change a user: only the flags given change; --email and --interests replace the list; --field NAME= removes a value; " +
				"--channel away=sms sets a preference, away=default removes it",
			mode: sharedStore, parse: parseUserSet},
		{path: "user role", args: "ID admin|member [--json]", summary: "give a user a role", mode: sharedStore, parse: parseUserRole},
		{path: "user disable", args: "ID [--json]", summary: "disable a user: no deliveries, not found by search, cannot join rooms; everything is kept",
			mode: sharedStore, parse: parseUserDisable(true)},
		{path: "user enable", args: "ID [--json]", summary: "enable a disabled user again", mode: sharedStore, parse: parseUserDisable(false)},
		{path: "people search", args: "[--name N] [--interest I]... [--field NAME=VALUE]... [--as USER] [--limit N] [--offset N] [--json]",
			summary: "find people by the start of a name word, interests (all of them) and searchable fields, ranked by interests " +
				"shared with --as; with no criterion, who shares interests with --as",
			mode: sharedStore, parse: parsePeopleSearch},
	}
}

// userChange is one change `user set` makes, with the name the audit log
// records for it.
type userChange struct {
	what  string
	apply func(*threads.User) error
}

func parseUserSet(args []string) (action, error) {
	fs := newFlags("user set")
	name := fs.String("name", "", "display name")
	var emails, interests listFlag
	fs.Var(&emails, "email", "email addresses (replace the list; none: no address)")
	phone := fs.String("phone", "", "phone number in E.164 form, or none")
	tz := fs.String("tz", "", "IANA time zone, or none (UTC)")
	digest := fs.String("digest", "", "digest frequency: off, daily or weekly")
	digestHour := fs.Int("digest-hour", 0, "hour of the digest, 0-23, in the user's time zone")
	quiet := fs.String("quiet", "", "quiet hours HH:MM-HH:MM, or off")
	quietMode := fs.String("quiet-mode", "", "what quiet hours hold: hold-sms (texts wait), email (texts become email) or hold-all")
	escalate := fs.String("escalate", "", "unseen direct lines, mentions and !urgent lines go out again on the next channel after this time (1m-24h), off, or default (PARLEY_ESCALATE_AFTER)")
	var channels, fieldVals multiFlag
	fs.Var(&channels, "channel", "STATE=CHANNEL preference (repeat); CHANNEL default removes it")
	title := fs.String("title", "", "job title")
	team := fs.String("team", "", "team")
	fs.Var(&interests, "interests", "interests, comma-separated (replace the list; none: no interests)")
	fs.Var(&fieldVals, "field", "NAME=VALUE of a profile field (repeat); an empty VALUE removes it")
	asJSON := fs.Bool("json", false, "print JSON")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return nil, err
	}
	id, err := oneID(pos, "ID", "user")
	if err != nil {
		return nil, err
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	delete(set, "json")
	if len(set) == 0 {
		return nil, usagef("nothing to change: give at least one flag (see parley help)")
	}
	changes, err := userSetChanges(set, userSetValues{name: *name, emails: emails, phone: *phone, tz: *tz, digest: *digest,
		digestHour: *digestHour, quiet: *quiet, quietMode: *quietMode, channels: channels, title: *title, team: *team, interests: interests, fields: fieldVals})
	if err != nil {
		return nil, err
	}
	if set["escalate"] {
		e := strings.TrimSpace(*escalate)
		if e == "default" {
			e = ""
		}
		changes = append(changes, userChange{"escalation", func(u *threads.User) error { u.Prefs.Escalate = e; return nil }})
	}
	return func(ctx context.Context, a *app) error {
		u, err := a.store.Directory.UpdateUser(ctx, id, func(u *threads.User) error {
			before := u.Name
			for _, c := range changes {
				if err := c.apply(u); err != nil {
					return err
				}
			}
			if strings.TrimSpace(u.Name) != before { // not a name like another member's (threads/confusable.go)
				return a.store.Directory.CheckName(ctx, id, strings.TrimSpace(u.Name))
			}
			return nil
		})
		if err != nil {
			return err
		}
		what := make([]string, len(changes))
		for i, c := range changes {
			what[i] = c.what
		}
		if err := auditCLI(ctx, a, "user.update", id, strings.Join(what, ", ")); err != nil {
			return err
		}
		if *asJSON {
			return writeJSON(a.out, u)
		}
		return printUser(a, u, nil)
	}, nil
}

// userSetValues are the flag values of `user set`.
type userSetValues struct {
	name, phone, tz, digest, quiet, quietMode string
	title, team                               string
	digestHour                                int
	emails, interests                         []string
	channels, fields                          []string
}

// userSetChanges checks the flags that were given and turns each into a
// change. It does no I/O; threads checks everything again before writing.
func userSetChanges(set map[string]bool, v userSetValues) ([]userChange, error) {
	var out []userChange
	add := func(what string, apply func(*threads.User)) {
		out = append(out, userChange{what, func(u *threads.User) error { apply(u); return nil }})
	}
	if set["name"] {
		add("name", func(u *threads.User) { u.Name = v.name })
	}
	if set["email"] {
		list, err := normalizeList(v.emails, threads.NormalizeEmail)
		if err != nil {
			return nil, err
		}
		add("emails", func(u *threads.User) { u.Emails = list })
	}
	if set["phone"] {
		p := v.phone
		if p == "none" {
			p = ""
		} else if err := threads.ValidPhone(p); err != nil {
			return nil, err
		}
		add("phone", func(u *threads.User) {
			u.Phone, u.PhoneVerified = p, p != "" // an admin vouches for the number
		})
	}
	if set["tz"] {
		tz := v.tz
		if tz == "none" {
			tz = ""
		} else if _, err := time.LoadLocation(tz); err != nil || tz == "" {
			return nil, usagef("time zone %q is unknown (use an IANA name like Europe/Berlin, or none)", tz)
		}
		add("time zone", func(u *threads.User) { u.TimeZone = tz })
	}
	if set["digest"] {
		d := threads.DigestFrequency(strings.ToLower(v.digest))
		switch d {
		case threads.DigestOff, threads.DigestDaily, threads.DigestWeekly:
		default:
			return nil, usagef("--digest %q is not off, daily or weekly", v.digest)
		}
		add("digest", func(u *threads.User) { u.Prefs.Digest = d })
	}
	if set["digest-hour"] {
		if v.digestHour < 0 || v.digestHour > 23 {
			return nil, usagef("--digest-hour %d is not between 0 and 23", v.digestHour)
		}
		add("digest hour", func(u *threads.User) { u.Prefs.DigestHour = v.digestHour })
	}
	if set["quiet"] {
		q, err := parseQuiet(v.quiet)
		if err != nil {
			return nil, err
		}
		add("quiet hours", func(u *threads.User) {
			if q != nil && u.Prefs.Quiet != nil {
				q.Mode = u.Prefs.Quiet.Mode // new hours keep the mode
			}
			u.Prefs.Quiet = q
		})
	}
	if set["quiet-mode"] {
		mode := threads.QuietMode(strings.ToLower(v.quietMode))
		switch mode {
		case threads.QuietHoldSMS, threads.QuietSMSToEmail, threads.QuietHoldAll:
		default:
			return nil, usagef("--quiet-mode %q is not hold-sms, email or hold-all", v.quietMode)
		}
		out = append(out, userChange{"quiet mode", func(u *threads.User) error {
			if u.Prefs.Quiet == nil {
				return usagef("--quiet-mode needs quiet hours: give --quiet HH:MM-HH:MM too")
			}
			u.Prefs.Quiet.Mode = mode
			return nil
		}})
	}
	if set["channel"] {
		prefs := map[threads.State]threads.Channel{}
		for _, c := range v.channels {
			st, ch, err := parseChannelPref(c)
			if err != nil {
				return nil, err
			}
			prefs[st] = ch
		}
		add("channel preferences", func(u *threads.User) {
			if u.Prefs.Channels == nil {
				u.Prefs.Channels = map[threads.State]threads.Channel{}
			}
			for st, ch := range prefs {
				if ch == "" {
					delete(u.Prefs.Channels, st)
				} else {
					u.Prefs.Channels[st] = ch
				}
			}
		})
	}
	if set["title"] {
		add("title", func(u *threads.User) { u.Profile.Title = v.title })
	}
	if set["team"] {
		add("team", func(u *threads.User) { u.Profile.Team = v.team })
	}
	if set["interests"] {
		list, err := normalizeList(v.interests, threads.NormalizeInterest)
		if err != nil {
			return nil, err
		}
		add("interests", func(u *threads.User) { u.Profile.Interests = list })
	}
	if set["field"] {
		vals := map[string]string{}
		var names []string
		for _, f := range v.fields {
			name, val, err := parseFieldValue(f)
			if err != nil {
				return nil, err
			}
			vals[name] = val
			names = append(names, name)
		}
		add("fields "+strings.Join(names, ", "), func(u *threads.User) {
			if u.Profile.Fields == nil {
				u.Profile.Fields = map[string]string{}
			}
			for n, val := range vals {
				u.Profile.Fields[n] = val // empty: removed by normalisation
			}
		})
	}
	return out, nil
}

// parseQuiet parses "HH:MM-HH:MM", or "off" (nil).
func parseQuiet(s string) (*threads.QuietHours, error) {
	if strings.EqualFold(s, "off") {
		return nil, nil
	}
	from, to, ok := strings.Cut(s, "-")
	q := &threads.QuietHours{From: strings.TrimSpace(from), To: strings.TrimSpace(to)}
	for _, t := range []string{q.From, q.To} {
		if _, err := time.Parse("15:04", t); err != nil || !ok || len(t) != 5 {
			return nil, usagef("--quiet %q is not HH:MM-HH:MM (for example 22:00-07:00) or off", s)
		}
	}
	return q, nil
}

// parseChannelPref parses "STATE=CHANNEL"; CHANNEL "default" gives "".
func parseChannelPref(s string) (threads.State, threads.Channel, error) {
	st, ch, ok := strings.Cut(strings.ToLower(strings.TrimSpace(s)), "=")
	state := threads.State(strings.TrimSpace(st))
	channel := threads.Channel(strings.TrimSpace(ch))
	switch state {
	case threads.StateOnline, threads.StateAway, threads.StateBusy, threads.StateOffline:
	default:
		return "", "", usagef("--channel %q: state must be online, away, busy or offline (like away=sms)", s)
	}
	switch {
	case !ok:
		return "", "", usagef("--channel %q is not STATE=CHANNEL (like away=sms)", s)
	case channel == "default":
		return state, "", nil
	case channel == threads.Live, channel == threads.Email, channel == threads.SMS, channel == threads.Hold:
		return state, channel, nil
	}
	return "", "", usagef("--channel %q: channel must be live, email, sms, digest or default", s)
}

// parseFieldValue parses "NAME=VALUE" of --field.
func parseFieldValue(s string) (string, string, error) {
	name, val, ok := strings.Cut(s, "=")
	name = strings.TrimSpace(name)
	if !ok {
		return "", "", usagef("--field %q is not NAME=VALUE (like office=Berlin; office= removes the value)", s)
	}
	if err := threads.ValidFieldName(name); err != nil {
		return "", "", err
	}
	return name, strings.TrimSpace(val), nil
}

// multiFlag collects a flag that may repeat; unlike listFlag it does not
// split on commas, since values (a field's text) may hold them.
type multiFlag []string

func (m *multiFlag) String() string { return strings.Join(*m, "; ") }

func (m *multiFlag) Set(v string) error {
	*m = append(*m, v)
	return nil
}

func parseUserRole(args []string) (action, error) {
	fs := newFlags("user role")
	asJSON := fs.Bool("json", false, "print JSON")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return nil, err
	}
	if err := wantArgs(pos, "ID", "ROLE"); err != nil {
		return nil, err
	}
	id, role := pos[0], threads.Role(strings.ToLower(pos[1]))
	if err := validID("user", id); err != nil {
		return nil, err
	}
	if role != threads.RoleAdmin && role != threads.RoleMember {
		return nil, usagef("role %q is not admin or member", pos[1])
	}
	return func(ctx context.Context, a *app) error {
		u, err := a.store.Directory.SetRole(ctx, cliActor, id, role)
		if err != nil {
			return err
		}
		if *asJSON {
			return writeJSON(a.out, u)
		}
		_, err = fmt.Fprintf(a.out, "%s is now %s\n", u.ID, u.Role)
		return err
	}, nil
}

func parseUserDisable(disable bool) func([]string) (action, error) {
	name := "user enable"
	if disable {
		name = "user disable"
	}
	return func(args []string) (action, error) {
		fs := newFlags(name)
		asJSON := fs.Bool("json", false, "print JSON")
		pos, err := parseFlags(fs, args)
		if err != nil {
			return nil, err
		}
		id, err := oneID(pos, "ID", "user")
		if err != nil {
			return nil, err
		}
		return func(ctx context.Context, a *app) error {
			var u threads.User
			var err error
			if disable {
				u, err = a.store.Directory.DisableUser(ctx, cliActor, id)
			} else {
				u, err = a.store.Directory.EnableUser(ctx, cliActor, id)
			}
			if err != nil {
				return err
			}
			if *asJSON {
				return writeJSON(a.out, u)
			}
			if disable {
				_, err = fmt.Fprintf(a.out, "%s is disabled: nothing is delivered to them; their rooms, lines and profile are kept\n", id)
			} else {
				_, err = fmt.Fprintf(a.out, "%s is enabled\n", id)
			}
			return err
		}, nil
	}
}

func parsePeopleSearch(args []string) (action, error) {
	fs := newFlags("people search")
	var q threads.PeopleQuery
	var interests listFlag
	var fieldVals multiFlag
	fs.StringVar(&q.Name, "name", "", "start of the name or of a word in it")
	fs.Var(&interests, "interest", "an interest the person must have (repeat, or comma-separated)")
	fs.Var(&fieldVals, "field", "NAME=VALUE: a searchable profile field starting with VALUE (repeat)")
	as := fs.String("as", "", "search as this user: rank by interests shared with them, leave them out")
	fs.IntVar(&q.Limit, "limit", 20, fmt.Sprintf("at most this many people (up to %d)", threads.MaxPeoplePage))
	fs.IntVar(&q.Offset, "offset", 0, "skip this many first")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parseNoArgs(fs, args); err != nil {
		return nil, err
	}
	if q.Limit < 1 || q.Limit > threads.MaxPeoplePage {
		return nil, usagef("--limit %d is not between 1 and %d", q.Limit, threads.MaxPeoplePage)
	}
	if q.Offset < 0 {
		return nil, usagef("--offset %d is negative", q.Offset)
	}
	if *as != "" {
		if err := validID("user", *as); err != nil {
			return nil, err
		}
	}
	for _, in := range interests {
		n, err := threads.NormalizeInterest(in)
		if err != nil {
			return nil, err
		}
		q.Interests = append(q.Interests, n)
	}
	for _, f := range fieldVals {
		name, val, err := parseFieldValue(f)
		if err != nil {
			return nil, err
		}
		if q.Fields == nil {
			q.Fields = map[string]string{}
		}
		q.Fields[name] = val
	}
	if q.Name == "" && len(q.Interests) == 0 && len(q.Fields) == 0 && *as == "" {
		return nil, usagef("give --name, --interest or --field, or --as USER to find who shares their interests")
	}
	return func(ctx context.Context, a *app) error {
		found, err := a.store.Directory.SearchPeople(ctx, *as, q)
		if err != nil {
			return err
		}
		if *asJSON {
			return writeJSON(a.out, found)
		}
		return printPeople(a, found, *as != "")
	}, nil
}

// printPeople prints search results as a table; SHARED only when there is
// a viewer to share with.
func printPeople(a *app, found []threads.PersonMatch, shared bool) error {
	if len(found) == 0 {
		_, err := fmt.Fprintln(a.out, "nobody found")
		return err
	}
	head := "ID\tNAME\tTITLE\tTEAM\tINTERESTS"
	if shared {
		head = "ID\tNAME\tTITLE\tTEAM\tSHARED\tINTERESTS"
	}
	rows := []string{head}
	for _, p := range found {
		cols := []string{p.ID, clean(p.Name, false), orDash(clean(p.Title, false)), orDash(clean(p.Team, false))}
		if shared {
			cols = append(cols, strconv.Itoa(len(p.Shared)))
		}
		cols = append(cols, orDash(clean(strings.Join(p.Interests, ", "), false)))
		rows = append(rows, strings.Join(cols, "\t"))
	}
	return table(a.out, rows...)
}

// profileLines are the "field: value" pairs printUser adds for the role,
// a disabled user and the profile.
func profileLines(u threads.User) []string {
	kv := []string{"role", string(u.Role)}
	if u.Role == "" {
		kv[1] = string(threads.RoleMember)
	}
	if u.Disabled {
		kv = append(kv, "disabled", "yes: nothing is delivered")
	}
	if u.Profile.Title != "" {
		kv = append(kv, "title", clean(u.Profile.Title, false))
	}
	if u.Profile.Team != "" {
		kv = append(kv, "team", clean(u.Profile.Team, false))
	}
	if len(u.Profile.Interests) > 0 {
		kv = append(kv, "interests", clean(strings.Join(u.Profile.Interests, ", "), false))
	}
	if len(u.Profile.Fields) > 0 {
		names := slices.Sorted(maps.Keys(u.Profile.Fields))
		parts := make([]string, len(names))
		for i, n := range names {
			parts[i] = n + "=" + clean(u.Profile.Fields[n], false)
		}
		kv = append(kv, "fields", strings.Join(parts, "; "))
	}
	return kv
}

// auditCLI records an admin action made with the command line. The action
// is done by then: a failure says so.
func auditCLI(ctx context.Context, a *app, action, target, detail string) error {
	err := a.store.Directory.Audit(ctx, threads.AuditEntry{Actor: cliActor, Action: action, Target: target, Detail: detail})
	if err != nil {
		return fmt.Errorf("%s %s done, but not audited: %w", action, target, err)
	}
	return nil
}

// normalizeList normalizes each value of a repeatable flag; the single
// value "none" clears the list.
func normalizeList(values []string, normalize func(string) (string, error)) ([]string, error) {
	if len(values) == 1 && values[0] == "none" {
		return nil, nil
	}
	var out []string
	for _, v := range values {
		n, err := normalize(v)
		if err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, nil
}
