package web

import (
	"net/http"
	"slices"
	"strconv"
	"strings"

	"parley/threads"
)

// The admin page (/admin): users, allowed domains, profile fields,
// retention and the latest audit entries, each changed by a plain form.
// Members get 404, as if the page did not exist. The forms call the same
// code as the admin API, so every change is audited with the admin as actor.

// auditShown is how many audit entries the admin page shows.
const auditShown = 30

// adminPageRoutes mounts the admin page and its forms.
func (h *handler) adminPageRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /admin", h.adminPage(h.adminShow))
	mux.HandleFunc("POST /admin/users", h.adminPage(h.adminUserCreateForm))
	mux.HandleFunc("POST /admin/users/{id}", h.adminPage(h.adminUserForm))
	mux.HandleFunc("POST /admin/domains", h.adminPage(h.adminDomainsForm))
	mux.HandleFunc("POST /admin/fields", h.adminPage(h.adminFieldForm))
	mux.HandleFunc("POST /admin/fields/{name}/delete", h.adminPage(h.adminFieldDeleteForm))
	mux.HandleFunc("POST /admin/retention", h.adminPage(h.adminRetentionForm))
}

// adminPage wraps a page handler only admins reach. A form's refusal (4xx)
// shows the admin page again with what went wrong; success goes back to
// the page's section.
func (h *handler) adminPage(fn func(w http.ResponseWriter, r *http.Request, me *who) (string, error)) http.HandlerFunc {
	return h.page(func(w http.ResponseWriter, r *http.Request, me *who) error {
		if me.user.Role != threads.RoleAdmin {
			return errf(http.StatusNotFound, "not_found", "there is no such page")
		}
		back, err := fn(w, r, me)
		if err == nil && back != "" {
			http.Redirect(w, r, back, http.StatusSeeOther)
			return nil
		}
		if he := classify(err); err != nil && he.status < 500 && r.Method == http.MethodPost {
			return h.adminView(w, r, me, he.status, he.msg)
		}
		return err
	})
}

// adminData is what admin.html shows.
type adminData struct {
	Users     []adminUser
	Domains   []string
	Fields    []threads.ProfileField
	Rooms     []adminRoom
	Retention threads.RetentionPolicy
	Audit     []threads.AuditEntry
}

func (h *handler) adminView(w http.ResponseWriter, r *http.Request, me *who, status int, problem string) error {
	ctx := r.Context()
	users, err := h.store.Directory.Users(ctx)
	if err != nil {
		return err
	}
	var d adminData
	for _, u := range users {
		d.Users = append(d.Users, adminUserOf(u))
	}
	slices.SortFunc(d.Users, func(a, b adminUser) int { return strings.Compare(a.ID, b.ID) })
	if d.Domains, err = h.store.Directory.AllowedDomains(ctx); err != nil {
		return err
	}
	if d.Fields, err = h.store.Directory.ProfileFields(ctx); err != nil {
		return err
	}
	if d.Rooms, d.Retention, err = h.adminRoomList(r); err != nil {
		return err
	}
	if d.Audit, err = h.store.Directory.AuditLog(ctx, threads.AuditFilter{Limit: auditShown}); err != nil {
		return err
	}
	v := viewFor(me, "Admin")
	v.Data, v.Error = d, problem
	if r.URL.Query().Get("done") != "" {
		v.Notice = "Saved."
	}
	h.render(w, r, status, "admin.html", v)
	return nil
}

func (h *handler) adminShow(w http.ResponseWriter, r *http.Request, me *who) (string, error) {
	return "", h.adminView(w, r, me, http.StatusOK, "")
}

func (h *handler) adminUserCreateForm(w http.ResponseWriter, r *http.Request, me *who) (string, error) {
	in := newUserBody{ID: r.PostFormValue("id"), Name: r.PostFormValue("name"), Role: threads.Role(r.PostFormValue("role"))}
	if e := strings.TrimSpace(r.PostFormValue("email")); e != "" {
		in.Emails = []string{e}
	}
	if _, err := h.createUser(r, me, in); err != nil {
		return "", err
	}
	return "/admin?done=1#users", nil
}

func (h *handler) adminUserForm(w http.ResponseWriter, r *http.Request, me *who) (string, error) {
	var c userChange
	if v := r.PostFormValue("role"); v != "" {
		role := threads.Role(v)
		c.Role = &role
	}
	if v := r.PostFormValue("disabled"); v != "" {
		disabled := v == "1"
		c.Disabled = &disabled
	}
	if _, err := h.changeUser(r, me, r.PathValue("id"), c); err != nil {
		return "", err
	}
	return "/admin?done=1#users", nil
}

func (h *handler) adminDomainsForm(w http.ResponseWriter, r *http.Request, me *who) (string, error) {
	list := strings.FieldsFunc(r.PostFormValue("domains"), func(c rune) bool { return c == ',' || c == ' ' || c == '\n' })
	if _, err := h.store.Directory.SetAllowedDomains(r.Context(), me.user.ID, list); err != nil {
		return "", err
	}
	return "/admin?done=1#domains", nil
}

// adminFieldForm adds a field at the end, or changes the label and
// searchability of the field of that name.
func (h *handler) adminFieldForm(w http.ResponseWriter, r *http.Request, me *who) (string, error) {
	f := threads.ProfileField{Name: strings.TrimSpace(r.PostFormValue("name")), Label: r.PostFormValue("label"),
		Searchable: r.PostFormValue("searchable") == "1"}
	defs, err := h.store.Directory.ProfileFields(r.Context())
	if err != nil {
		return "", err
	}
	if i := slices.IndexFunc(defs, func(d threads.ProfileField) bool { return d.Name == f.Name }); i >= 0 {
		defs[i] = f
	} else {
		defs = append(defs, f)
	}
	if err := h.store.Directory.SetProfileFields(r.Context(), me.user.ID, defs); err != nil {
		return "", err
	}
	return "/admin?done=1#fields", nil
}

func (h *handler) adminFieldDeleteForm(w http.ResponseWriter, r *http.Request, me *who) (string, error) {
	if err := h.deleteField(r, me, r.PathValue("name"), r.PostFormValue("clear") == "1"); err != nil {
		return "", err
	}
	return "/admin?done=1#fields", nil
}

// adminRetentionForm applies what changed: the default, and each room's
// box (empty: the room follows the default).
func (h *handler) adminRetentionForm(w http.ResponseWriter, r *http.Request, me *who) (string, error) {
	cur, err := h.store.Chat.Retention(r.Context())
	if err != nil {
		return "", err
	}
	days := func(name, v string) (int, error) {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil {
			return 0, errf(http.StatusBadRequest, "invalid", "%s: %q is not a number of days", name, v)
		}
		return n, nil
	}
	var b retentionBody
	if v := r.PostFormValue("default_days"); v != "" {
		n, err := days("the default", v)
		if err != nil {
			return "", err
		}
		if n != cur.Default {
			b.Default = &n
		}
	}
	for k, vs := range r.PostForm {
		room, ok := strings.CutPrefix(k, "room.")
		if !ok {
			continue
		}
		old, had := cur.Rooms[room]
		v := strings.TrimSpace(vs[0])
		switch {
		case v == "" && had:
			if b.Rooms == nil {
				b.Rooms = map[string]*int{}
			}
			b.Rooms[room] = nil
		case v != "":
			n, err := days("room "+room, v)
			if err != nil {
				return "", err
			}
			if !had || n != old {
				if b.Rooms == nil {
					b.Rooms = map[string]*int{}
				}
				b.Rooms[room] = &n
			}
		}
	}
	if b.Default == nil && len(b.Rooms) == 0 {
		return "/admin#retention", nil // nothing changed
	}
	if err := h.setRetention(r, me, b); err != nil {
		return "", err
	}
	return "/admin?done=1#retention", nil
}
