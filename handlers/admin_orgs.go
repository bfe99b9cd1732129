package handlers

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"cpor/models"
	"cpor/views"
	"cpor/views/admin"
)

// AdminOrgs is the operators' management of partner organisations, their
// locations (MPN IDs), program enrolments and first incentives admins.
type AdminOrgs struct{ *Server }

// List shows the organisations, searchable by name, a page at a time.
func (h *AdminOrgs) List(c echo.Context) error {
	const pageSize = 50
	q, after := c.QueryParam("q"), c.QueryParam("after")
	orgs, err := h.store.Organisations(c.Request().Context(), models.OrgFilter{Search: q, After: after, Limit: pageSize})
	if err != nil {
		return err
	}
	l := admin.OrgList{Search: q, Orgs: orgs}
	if after != "" {
		l.First = admURL("/admin/orgs", "q", q)
	}
	if len(orgs) == pageSize {
		l.Next = admURL("/admin/orgs", "q", q, "after", orgs[len(orgs)-1].Name)
	}
	return h.render(c, http.StatusOK, admin.Orgs(l))
}

// New shows the "New organisation" form.
func (h *AdminOrgs) New(c echo.Context) error {
	return h.render(c, http.StatusOK, admin.NewOrg(admin.NewOrgForm{Language: "en"}))
}

// Create makes the organisation and its first incentives admin, and emails
// the admin an invitation.
func (h *AdminOrgs) Create(c echo.Context) error {
	f := admin.NewOrgForm{Name: admTrim(c, "name"), Language: c.FormValue("language"),
		AdminEmail: admTrim(c, "admin_email"), AdminName: admTrim(c, "admin_name")}
	id, err := h.store.CreatePartnerOrganisation(c.Request().Context(), actor(c), admInviter(c), models.NewOrganisation{
		OrgDetails: models.OrgDetails{Name: f.Name, Language: f.Language}, AdminEmail: f.AdminEmail, AdminName: f.AdminName})
	if fe, ok := admFieldErrors(err); ok {
		f.Errors = fe
		return h.render(c, http.StatusUnprocessableEntity, admin.NewOrg(f))
	}
	if err != nil {
		return err
	}
	h.admFlash(c, "success", "admin.orgs.created", "Org", f.Name, "Email", f.AdminEmail)
	return redirect(c, "/admin/orgs/"+strconv.FormatInt(id, 10))
}

func (h *AdminOrgs) org(c echo.Context) (*models.Organisation, error) {
	id, err := admParamID(c, "id")
	if err != nil {
		return nil, err
	}
	return h.store.OrganisationByID(c.Request().Context(), id)
}

func admOrgPath(o *models.Organisation) string { return "/admin/orgs/" + strconv.FormatInt(o.ID, 10) }

// Show is one organisation: details, locations with enrolments, people.
func (h *AdminOrgs) Show(c echo.Context) error {
	o, err := h.org(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	locs, err := h.store.OrgLocations(ctx, o.ID)
	if err != nil {
		return err
	}
	users, err := h.store.ScopedUsers(ctx, models.OrgScope(o.ID))
	if err != nil {
		return err
	}
	ref, err := h.store.RefData(ctx)
	if err != nil {
		return err
	}
	return h.render(c, http.StatusOK, admin.Org(admin.OrgPage{Org: o, Locations: locs, Users: users, Programs: ref.Programs}))
}

// EditForm shows the rename form.
func (h *AdminOrgs) EditForm(c echo.Context) error {
	o, err := h.org(c)
	if err != nil {
		return err
	}
	return h.render(c, http.StatusOK, admin.OrgEdit(admin.OrgEditForm{Org: o, Name: o.Name, Language: o.Language}))
}

// Edit renames an organisation or changes its default language.
func (h *AdminOrgs) Edit(c echo.Context) error {
	o, err := h.org(c)
	if err != nil {
		return err
	}
	f := admin.OrgEditForm{Org: o, Name: admTrim(c, "name"), Language: c.FormValue("language")}
	err = h.store.UpdateOrganisation(c.Request().Context(), actor(c), o.ID, models.OrgDetails{Name: f.Name, Language: f.Language})
	if fe, ok := admFieldErrors(err); ok {
		f.Errors = fe
		return h.render(c, http.StatusUnprocessableEntity, admin.OrgEdit(f))
	}
	if err != nil {
		return err
	}
	h.flash(c, "success", "admin.saved")
	return redirect(c, admOrgPath(o))
}

// DisableForm asks before disabling an organisation.
func (h *AdminOrgs) DisableForm(c echo.Context) error {
	o, err := h.org(c)
	if err != nil {
		return err
	}
	if o.Disabled {
		return redirect(c, admOrgPath(o))
	}
	cat, l := views.TheCatalog(), lang(c)
	return h.render(c, http.StatusOK, admin.ConfirmPage(admin.Confirm{
		Title: "admin.orgs.disable_title",
		Text: []string{cat.Text(l, "admin.orgs.disable_text", map[string]any{"Org": o.Name}),
			cat.Text(l, "admin.orgs.disable_text2", nil)},
		Action: admOrgPath(o) + "/disable", Button: "admin.orgs.disable", Danger: true, Cancel: admOrgPath(o),
	}))
}

// Disable disables an organisation: its people's sessions end at once,
// nobody of it can sign in or submit, its claims stay.
func (h *AdminOrgs) Disable(c echo.Context) error { return h.setDisabled(c, true) }

// Enable re-enables an organisation.
func (h *AdminOrgs) Enable(c echo.Context) error { return h.setDisabled(c, false) }

func (h *AdminOrgs) setDisabled(c echo.Context, disabled bool) error {
	o, err := h.org(c)
	if err != nil {
		return err
	}
	if err := h.store.SetOrganisationDisabled(c.Request().Context(), actor(c), o.ID, disabled); err != nil {
		return err
	}
	if disabled {
		h.admFlash(c, "success", "admin.orgs.disabled_done", "Org", o.Name)
	} else {
		h.admFlash(c, "success", "admin.orgs.enabled_done", "Org", o.Name)
	}
	return redirect(c, admOrgPath(o))
}

func (h *AdminOrgs) locationPage(c echo.Context, status int, f admin.LocationForm) error {
	ref, err := h.store.RefData(c.Request().Context())
	if err != nil {
		return err
	}
	f.All = ref.Programs
	return h.render(c, status, admin.LocationEdit(f))
}

// NewLocation shows the "Add location" form.
func (h *AdminOrgs) NewLocation(c echo.Context) error {
	o, err := h.org(c)
	if err != nil {
		return err
	}
	return h.locationPage(c, http.StatusOK, admin.LocationForm{Org: o})
}

// CreateLocation adds an MPN ID (digits, unique across the platform) with
// its program enrolments.
func (h *AdminOrgs) CreateLocation(c echo.Context) error {
	o, err := h.org(c)
	if err != nil {
		return err
	}
	progs, err := admFormIDs(c, "programs")
	if err != nil {
		return err
	}
	f := admin.LocationForm{Org: o, MPNID: admTrim(c, "mpn_id"), Name: admTrim(c, "name"), Programs: progs}
	_, err = h.store.AddLocation(c.Request().Context(), actor(c), o.ID, models.LocationInput{MPNID: f.MPNID, Name: f.Name, Programs: progs})
	if fe, ok := admFieldErrors(err); ok {
		f.Errors = fe
		return h.locationPage(c, http.StatusUnprocessableEntity, f)
	}
	if err != nil {
		return err
	}
	h.admFlash(c, "success", "admin.loc.added", "MPN", f.MPNID)
	return redirect(c, admOrgPath(o))
}

func (h *AdminOrgs) location(c echo.Context) (*models.Organisation, *models.Location, error) {
	o, err := h.org(c)
	if err != nil {
		return nil, nil, err
	}
	id, err := admParamID(c, "loc")
	if err != nil {
		return nil, nil, err
	}
	l, err := h.store.OrgLocation(c.Request().Context(), o.ID, id)
	return o, l, err
}

// EditLocation shows a location's name and enrolments.
func (h *AdminOrgs) EditLocation(c echo.Context) error {
	o, l, err := h.location(c)
	if err != nil {
		return err
	}
	return h.locationPage(c, http.StatusOK, admin.LocationForm{Org: o, Location: l, Name: l.Name, Programs: l.ProgramIDs})
}

// UpdateLocation saves a location's name and enrolments.
func (h *AdminOrgs) UpdateLocation(c echo.Context) error {
	o, l, err := h.location(c)
	if err != nil {
		return err
	}
	progs, err := admFormIDs(c, "programs")
	if err != nil {
		return err
	}
	f := admin.LocationForm{Org: o, Location: l, Name: admTrim(c, "name"), Programs: progs}
	err = h.store.UpdateLocation(c.Request().Context(), actor(c), o.ID, l.ID, models.LocationInput{Name: f.Name, Programs: progs})
	if fe, ok := admFieldErrors(err); ok {
		f.Errors = fe
		return h.locationPage(c, http.StatusUnprocessableEntity, f)
	}
	if err != nil {
		return err
	}
	h.admFlash(c, "success", "admin.loc.saved", "MPN", l.MPNID)
	return redirect(c, admOrgPath(o))
}

// InviteForm shows "Invite an incentives admin" for an existing organisation.
func (h *AdminOrgs) InviteForm(c echo.Context) error {
	o, err := h.org(c)
	if err != nil {
		return err
	}
	return h.render(c, http.StatusOK, admin.InviteAdmin(admin.InviteAdminForm{Org: o}))
}

// Invite adds an incentives admin to an organisation and emails the invitation.
func (h *AdminOrgs) Invite(c echo.Context) error {
	o, err := h.org(c)
	if err != nil {
		return err
	}
	f := admin.InviteAdminForm{Org: o, Email: admTrim(c, "email"), Name: admTrim(c, "name"), Language: c.FormValue("language")}
	_, err = h.store.InviteUser(c.Request().Context(), actor(c), admInviter(c), models.OrgScope(o.ID), models.Invitation{
		Email: f.Email, Name: f.Name, Role: models.RoleAdmin, Language: f.Language})
	if fe, ok := admFieldErrors(err); ok {
		f.Errors = fe
		return h.render(c, http.StatusUnprocessableEntity, admin.InviteAdmin(f))
	}
	if err != nil {
		return err
	}
	h.admFlash(c, "success", "admin.users.invited", "Email", f.Email)
	return redirect(c, admOrgPath(o))
}
