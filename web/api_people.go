package web

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"parley/threads"
)

// People: search colleagues by name, shared interests and searchable
// profile fields, read one profile, and list the fields that exist.
// Search answers never carry addresses or phone numbers; a profile shows
// them only to its owner and to admins.

// peopleRoutes mounts the people and profile-field endpoints.
func (h *handler) peopleRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /api/people", h.api(h.searchPeople))
	mux.HandleFunc("GET /api/people/{id}", h.api(h.showPerson))
	mux.HandleFunc("GET /api/profile-fields", h.api(h.listProfileFields))
}

// maxQueryValues caps how many parameters a people search reads.
const maxQueryValues = 50

// peopleQuery reads a search from a query string: name, interest (any
// number), field.NAME=value, limit and offset. threads checks the values.
func peopleQuery(q url.Values) (threads.PeopleQuery, error) {
	var pq threads.PeopleQuery
	n := 0
	for k, vs := range q {
		n += len(vs)
		if n > maxQueryValues {
			return pq, errf(http.StatusBadRequest, "invalid", "a search takes at most %d parameters", maxQueryValues)
		}
		last := vs[len(vs)-1]
		switch {
		case k == "name":
			pq.Name = last
		case k == "everyone":
			pq.Everyone = last == "1" || last == "true"
		case k == "interest":
			for _, v := range vs {
				// The page sends "go, cycling" in one box.
				for _, in := range strings.Split(v, ",") {
					if in = strings.TrimSpace(in); in != "" {
						pq.Interests = append(pq.Interests, in)
					}
				}
			}
		case strings.HasPrefix(k, "field."):
			if strings.TrimSpace(last) == "" {
				continue // an empty box of the page's form
			}
			if pq.Fields == nil {
				pq.Fields = map[string]string{}
			}
			pq.Fields[strings.TrimPrefix(k, "field.")] = last
		case k == "limit" || k == "offset":
			if last == "" {
				continue
			}
			v, err := strconv.Atoi(last)
			if err != nil || v < 0 {
				return pq, errf(http.StatusBadRequest, "invalid", "%s %q is not a number of at least 0", k, last)
			}
			if k == "limit" {
				pq.Limit = v
			} else {
				pq.Offset = v
			}
		default:
			return pq, errf(http.StatusBadRequest, "invalid", "unknown search parameter %q (use name, interest, field.NAME, limit, offset)", k)
		}
	}
	return pq, nil
}

// search runs a people search as the member (ranked by the interests they
// share with them).
func (h *handler) search(r *http.Request, me *who) ([]threads.PersonMatch, error) {
	pq, err := peopleQuery(r.URL.Query())
	if err != nil {
		return nil, err
	}
	return h.store.Directory.SearchPeople(r.Context(), me.user.ID, pq)
}

func (h *handler) searchPeople(w http.ResponseWriter, r *http.Request, me *who) error {
	found, err := h.search(r, me)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"people": found})
	return nil
}

// personView is a profile as GET /api/people/{id} shows it. Emails and
// Phone are set only for the member themself and for admins.
type personView struct {
	ID        string            `json:"id"`
	Name      string            `json:"name"`
	Title     string            `json:"title,omitempty"`
	Team      string            `json:"team,omitempty"`
	TimeZone  string            `json:"tz,omitempty"`
	Interests []string          `json:"interests,omitempty"`
	Fields    []fieldValue      `json:"fields,omitempty"`
	Shared    []string          `json:"shared,omitempty"`
	Emails    []string          `json:"emails,omitempty"`
	Phone     string            `json:"phone,omitempty"`
	Role      threads.Role      `json:"role,omitempty"`
	Disabled  bool              `json:"disabled,omitempty"`
	Presence  *threads.Presence `json:"presence,omitempty"`
}

// fieldValue is one admin-defined profile field with its value.
type fieldValue struct {
	Name  string `json:"name"`
	Label string `json:"label"`
	Value string `json:"value"`
}

// person reads the profile of id as me may see it: a disabled member is
// found by admins only; contact details go to the member and admins.
func (h *handler) person(r *http.Request, me *who, id string) (personView, error) {
	notFound := errf(http.StatusNotFound, "not_found", "no such person")
	if threads.ValidID("user", id) != nil {
		return personView{}, notFound
	}
	u, err := h.store.Directory.User(r.Context(), id)
	if errors.Is(err, threads.ErrNotFound) {
		return personView{}, notFound
	}
	if err != nil {
		return personView{}, err
	}
	admin := me.user.Role == threads.RoleAdmin
	if u.Disabled && !admin {
		return personView{}, notFound
	}
	defs, err := h.store.Directory.ProfileFields(r.Context())
	if err != nil {
		return personView{}, err
	}
	v := personView{ID: u.ID, Name: u.Name, Title: u.Profile.Title, Team: u.Profile.Team, TimeZone: u.TimeZone,
		Interests: u.Profile.Interests}
	// Only the fields the admin defines are shown, in their order.
	for _, d := range defs {
		if val := u.Profile.Fields[d.Name]; val != "" {
			v.Fields = append(v.Fields, fieldValue{Name: d.Name, Label: d.Label, Value: val})
		}
	}
	if u.ID != me.user.ID {
		for _, in := range u.Profile.Interests {
			for _, mine := range me.user.Profile.Interests {
				if in == mine {
					v.Shared = append(v.Shared, in)
				}
			}
		}
	}
	if u.ID == me.user.ID || admin {
		v.Emails, v.Phone, v.Role, v.Disabled = u.Emails, u.Phone, u.Role, u.Disabled
	}
	if u.Disabled {
		return v, nil // no presence: nothing reaches them
	}
	p, err := h.store.Chat.Presence(r.Context(), u.ID)
	if err != nil {
		return personView{}, err
	}
	v.Presence = &p
	return v, nil
}

func (h *handler) showPerson(w http.ResponseWriter, r *http.Request, me *who) error {
	v, err := h.person(r, me, r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

func (h *handler) listProfileFields(w http.ResponseWriter, r *http.Request, me *who) error {
	defs, err := h.store.Directory.ProfileFields(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"fields": defs})
	return nil
}
