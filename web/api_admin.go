package web

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"parley/threads"
)

// The admin API: users, allowed email domains, profile fields, retention,
// rooms and the audit log. Only admins reach it (403 otherwise); threads
// writes every change to the audit log with the admin as the actor.

// errForbidden answers a member who is not an admin.
var errForbidden = errf(http.StatusForbidden, "forbidden", "only an admin may do this")

// adminRoutes mounts the admin endpoints.
func (h *handler) adminRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /api/admin/users", h.admin(h.adminUsers))
	mux.HandleFunc("POST /api/admin/users", h.admin(h.adminCreateUser))
	mux.HandleFunc("PUT /api/admin/users/{id}", h.admin(h.adminUpdateUser))
	mux.HandleFunc("GET /api/admin/domains", h.admin(h.adminDomains))
	mux.HandleFunc("PUT /api/admin/domains", h.admin(h.adminSetDomains))
	mux.HandleFunc("GET /api/admin/profile-fields", h.admin(h.adminFields))
	mux.HandleFunc("PUT /api/admin/profile-fields", h.admin(h.adminSetFields))
	mux.HandleFunc("DELETE /api/admin/profile-fields/{name}", h.admin(h.adminDeleteField))
	mux.HandleFunc("GET /api/admin/retention", h.admin(h.adminRetention))
	mux.HandleFunc("PUT /api/admin/retention", h.admin(h.adminSetRetention))
	mux.HandleFunc("GET /api/admin/rooms", h.admin(h.adminRooms))
	mux.HandleFunc("GET /api/admin/audit", h.admin(h.adminAudit))
}

// admin wraps an API handler that only admins may call.
func (h *handler) admin(fn func(w http.ResponseWriter, r *http.Request, me *who) error) http.HandlerFunc {
	return h.api(func(w http.ResponseWriter, r *http.Request, me *who) error {
		if me.user.Role != threads.RoleAdmin {
			return errForbidden
		}
		return fn(w, r, me)
	})
}

// adminUser is a user as the admin API shows them.
type adminUser struct {
	ID       string       `json:"id"`
	Name     string       `json:"name"`
	Emails   []string     `json:"emails"`
	Phone    string       `json:"phone,omitempty"`
	TimeZone string       `json:"tz,omitempty"`
	Role     threads.Role `json:"role"`
	Disabled bool         `json:"disabled,omitempty"`
	Bot      bool         `json:"bot,omitempty"`
	Created  time.Time    `json:"created"`
}

func adminUserOf(u threads.User) adminUser {
	role := u.Role
	if role == "" {
		role = threads.RoleMember
	}
	return adminUser{ID: u.ID, Name: u.Name, Emails: u.Emails, Phone: u.Phone, TimeZone: u.TimeZone, Role: role,
		Disabled: u.Disabled, Bot: u.Bot, Created: u.Created}
}

func (h *handler) adminUsers(w http.ResponseWriter, r *http.Request, me *who) error {
	users, err := h.store.Directory.Users(r.Context())
	if err != nil {
		return err
	}
	out := make([]adminUser, len(users))
	for i, u := range users {
		out[i] = adminUserOf(u)
	}
	slices.SortFunc(out, func(a, b adminUser) int { return strings.Compare(a.ID, b.ID) })
	writeJSON(w, http.StatusOK, map[string]any{"users": out})
	return nil
}

// newUserBody is the body of POST /api/admin/users.
type newUserBody struct {
	ID       string       `json:"id"`
	Name     string       `json:"name"`
	Emails   []string     `json:"emails"`
	Phone    string       `json:"phone"`
	TimeZone string       `json:"tz"`
	Role     threads.Role `json:"role"`
}

// createUser adds a user and audits it under the admin.
func (h *handler) createUser(r *http.Request, me *who, in newUserBody) (threads.User, error) {
	if len(in.Emails) == 0 {
		return threads.User{}, errf(http.StatusBadRequest, "invalid", "a user needs at least one email address to sign in with")
	}
	if err := h.store.Directory.CheckName(r.Context(), strings.TrimSpace(in.ID), strings.TrimSpace(in.Name)); err != nil {
		return threads.User{}, err // a name like another member's (threads/confusable.go)
	}
	u, err := h.store.Directory.AddUser(r.Context(), threads.User{ID: strings.TrimSpace(in.ID), Name: strings.TrimSpace(in.Name),
		Emails: in.Emails, Phone: strings.Join(strings.Fields(in.Phone), ""), PhoneVerified: in.Phone != "",
		TimeZone: strings.TrimSpace(in.TimeZone), Role: in.Role})
	if err != nil {
		return u, err
	}
	h.log.Info("user created", "member", u.ID, "by", me.user.ID)
	return u, h.audited(r, threads.AuditEntry{Actor: me.user.ID, Action: "user.create", Target: u.ID,
		Detail: fmt.Sprintf("%s <%s>, %s", u.Name, strings.Join(u.Emails, ", "), u.Role)})
}

// audited writes an entry for an action already done: a failure to write
// it is an error the admin sees, but the action stays done.
func (h *handler) audited(r *http.Request, e threads.AuditEntry) error {
	if err := h.store.Directory.Audit(r.Context(), e); err != nil {
		return fmt.Errorf("%s of %s done, but not audited: %w", e.Action, e.Target, err)
	}
	return nil
}

func (h *handler) adminCreateUser(w http.ResponseWriter, r *http.Request, me *who) error {
	var in newUserBody
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	u, err := h.createUser(r, me, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, adminUserOf(u))
	return nil
}

// userChange is the body of PUT /api/admin/users/{id}: what to change.
type userChange struct {
	Role     *threads.Role `json:"role"`
	Disabled *bool         `json:"disabled"`
}

// changeUser sets a user's role and disabled flag. An admin cannot demote
// or disable themself, so that an organisation always keeps one admin
// who can undo things.
func (h *handler) changeUser(r *http.Request, me *who, id string, c userChange) (threads.User, error) {
	if threads.ValidID("user", id) != nil {
		return threads.User{}, errf(http.StatusNotFound, "not_found", "no such user")
	}
	if id == me.user.ID && (c.Role != nil && *c.Role != threads.RoleAdmin || c.Disabled != nil && *c.Disabled) {
		return threads.User{}, errf(http.StatusBadRequest, "invalid", "you cannot demote or disable yourself; ask another admin")
	}
	if c.Role == nil && c.Disabled == nil {
		return threads.User{}, errf(http.StatusBadRequest, "invalid", "say what to change: role, disabled or both")
	}
	u, err := h.store.Directory.User(r.Context(), id)
	if err != nil {
		return u, err
	}
	if c.Role != nil && *c.Role != u.Role {
		if u, err = h.store.Directory.SetRole(r.Context(), me.user.ID, id, *c.Role); err != nil {
			return u, err
		}
	}
	if c.Disabled != nil && *c.Disabled != u.Disabled {
		if *c.Disabled {
			u, err = h.store.Directory.DisableUser(r.Context(), me.user.ID, id)
		} else {
			u, err = h.store.Directory.EnableUser(r.Context(), me.user.ID, id)
		}
		if err != nil {
			return u, err
		}
	}
	return u, nil
}

func (h *handler) adminUpdateUser(w http.ResponseWriter, r *http.Request, me *who) error {
	var in userChange
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	u, err := h.changeUser(r, me, r.PathValue("id"), in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, adminUserOf(u))
	return nil
}

// domainsBody is the body of GET and PUT /api/admin/domains; no domains
// means any domain.
type domainsBody struct {
	Domains []string `json:"domains"`
}

func (h *handler) adminDomains(w http.ResponseWriter, r *http.Request, me *who) error {
	ds, err := h.store.Directory.AllowedDomains(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, domainsBody{Domains: ds})
	return nil
}

func (h *handler) adminSetDomains(w http.ResponseWriter, r *http.Request, me *who) error {
	var in domainsBody
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	ds, err := h.store.Directory.SetAllowedDomains(r.Context(), me.user.ID, in.Domains)
	if err != nil {
		return err
	}
	if ds == nil {
		ds = []string{}
	}
	writeJSON(w, http.StatusOK, domainsBody{Domains: ds})
	return nil
}

// fieldsBody is the body of GET and PUT /api/admin/profile-fields: every
// field, in order. A field left out of a PUT is removed (409 while users
// hold a value for it).
type fieldsBody struct {
	Fields []threads.ProfileField `json:"fields"`
}

func (h *handler) adminFields(w http.ResponseWriter, r *http.Request, me *who) error {
	defs, err := h.store.Directory.ProfileFields(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, fieldsBody{Fields: defs})
	return nil
}

func (h *handler) adminSetFields(w http.ResponseWriter, r *http.Request, me *who) error {
	var in fieldsBody
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	if err := h.store.Directory.SetProfileFields(r.Context(), me.user.ID, in.Fields); err != nil {
		return err
	}
	return h.adminFields(w, r, me)
}

// deleteField removes one profile field. While users hold a value for it
// the answer is 409, unless clear is set: then their values go first.
func (h *handler) deleteField(r *http.Request, me *who, name string, clear bool) error {
	if err := threads.ValidFieldName(name); err != nil {
		return err
	}
	defs, err := h.store.Directory.ProfileFields(r.Context())
	if err != nil {
		return err
	}
	keep := slices.DeleteFunc(slices.Clone(defs), func(f threads.ProfileField) bool { return f.Name == name })
	if len(keep) == len(defs) {
		return errf(http.StatusNotFound, "not_found", "no profile field %s", name)
	}
	if clear {
		if _, err := h.store.Directory.ClearProfileField(r.Context(), me.user.ID, name); err != nil {
			return err
		}
	}
	return h.store.Directory.SetProfileFields(r.Context(), me.user.ID, keep)
}

func (h *handler) adminDeleteField(w http.ResponseWriter, r *http.Request, me *who) error {
	clear, err := flag(r.URL.Query(), "clear")
	if err != nil {
		return err
	}
	if err := h.deleteField(r, me, r.PathValue("name"), clear); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// flag reads a yes/no query parameter: absent, 0 or false is no; 1 or true yes.
func flag(q url.Values, name string) (bool, error) {
	switch v := q.Get(name); v {
	case "", "0", "false":
		return false, nil
	case "1", "true":
		return true, nil
	default:
		return false, errf(http.StatusBadRequest, "invalid", "%s=%q is not 1 or 0", name, v)
	}
}

func (h *handler) adminRetention(w http.ResponseWriter, r *http.Request, me *who) error {
	p, err := h.store.Chat.Retention(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, p)
	return nil
}

// retentionBody is the body of PUT /api/admin/retention: the default in
// days (0 keeps lines forever) and room overrides, where null removes a
// room's override. Absent parts stay.
type retentionBody struct {
	Default *int            `json:"default_days"`
	Rooms   map[string]*int `json:"rooms"`
}

// setRetention applies b, the default first, then the rooms by id.
func (h *handler) setRetention(r *http.Request, me *who, b retentionBody) error {
	if b.Default == nil && len(b.Rooms) == 0 {
		return errf(http.StatusBadRequest, "invalid", "give default_days, rooms or both")
	}
	if len(b.Rooms) > 1000 {
		return errf(http.StatusBadRequest, "invalid", "at most 1000 rooms at once")
	}
	if b.Default != nil {
		if err := h.store.Chat.SetRetention(r.Context(), me.user.ID, "", *b.Default); err != nil {
			return err
		}
	}
	rooms := make([]string, 0, len(b.Rooms))
	for id := range b.Rooms {
		rooms = append(rooms, id)
	}
	slices.Sort(rooms)
	for _, id := range rooms {
		var err error
		if d := b.Rooms[id]; d == nil {
			err = h.store.Chat.ResetRetention(r.Context(), me.user.ID, id)
		} else {
			err = h.store.Chat.SetRetention(r.Context(), me.user.ID, id, *d)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func (h *handler) adminSetRetention(w http.ResponseWriter, r *http.Request, me *who) error {
	var in retentionBody
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	if err := h.setRetention(r, me, in); err != nil {
		return err
	}
	return h.adminRetention(w, r, me)
}

// adminRoom is a room as the admin API lists it.
type adminRoom struct {
	threads.Room
	// RetentionDays is the retention in force (0: forever); Override
	// whether the room sets its own.
	RetentionDays int  `json:"retention_days"`
	Override      bool `json:"retention_override,omitempty"`
}

// adminRoomList lists every room with its retention.
func (h *handler) adminRoomList(r *http.Request) ([]adminRoom, threads.RetentionPolicy, error) {
	rooms, err := h.store.Chat.Rooms(r.Context())
	if err != nil {
		return nil, threads.RetentionPolicy{}, err
	}
	p, err := h.store.Chat.Retention(r.Context())
	if err != nil {
		return nil, p, err
	}
	out := make([]adminRoom, len(rooms))
	for i, rm := range rooms {
		_, over := p.Rooms[rm.ID]
		out[i] = adminRoom{Room: rm, RetentionDays: p.Days(rm.ID), Override: over}
	}
	slices.SortFunc(out, func(a, b adminRoom) int { return strings.Compare(a.ID, b.ID) })
	return out, p, nil
}

func (h *handler) adminRooms(w http.ResponseWriter, r *http.Request, me *who) error {
	rooms, _, err := h.adminRoomList(r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"rooms": rooms})
	return nil
}

// auditFilter reads actor, action, target, before and limit.
func auditFilter(q url.Values) (threads.AuditFilter, error) {
	f := threads.AuditFilter{Actor: q.Get("actor"), Action: q.Get("action"), Target: q.Get("target"), Before: q.Get("before")}
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > threads.MaxPage {
			return f, errf(http.StatusBadRequest, "invalid", "limit %q is not a number from 1 to %d", s, threads.MaxPage)
		}
		f.Limit = n
	}
	return f, nil
}

func (h *handler) adminAudit(w http.ResponseWriter, r *http.Request, me *who) error {
	f, err := auditFilter(r.URL.Query())
	if err != nil {
		return err
	}
	list, err := h.store.Directory.AuditLog(r.Context(), f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"entries": list})
	return nil
}
