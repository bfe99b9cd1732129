package handlers

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"cpor/models"
	"cpor/views/admin"
	"cpor/views/org"
)

// OrgUsers is the incentives admins' page of their organisation's people.
// The organisation always comes from the signed-in admin, never from the
// request, so another organisation's user ID is simply not found.
type OrgUsers struct {
	*Server
	accountActions
}

func newOrgUsers(s *Server) *OrgUsers {
	return &OrgUsers{Server: s, accountActions: accountActions{Server: s, scope: orgScope, base: "/org/users"}}
}

func orgScope(c echo.Context) models.UserScope { return models.OrgScope(principal(c).OrganisationID) }

// List shows the organisation's people.
func (h *OrgUsers) List(c echo.Context) error {
	ctx := c.Request().Context()
	users, err := h.store.ScopedUsers(ctx, orgScope(c))
	if err != nil {
		return err
	}
	locs, err := h.store.OrgLocations(ctx, principal(c).OrganisationID)
	if err != nil {
		return err
	}
	return h.Server.render(c, http.StatusOK, org.Users(org.UserList{Users: users, Locations: locs}))
}

// New shows "Invite a colleague".
func (h *OrgUsers) New(c echo.Context) error {
	return h.invitePage(c, http.StatusOK, admin.InviteForm{Role: string(models.RoleUser)})
}

func (h *OrgUsers) invitePage(c echo.Context, status int, f admin.InviteForm) error {
	locs, err := h.store.OrgLocations(c.Request().Context(), principal(c).OrganisationID)
	if err != nil {
		return err
	}
	return h.Server.render(c, status, org.Invite(org.InvitePage{Form: f, Locations: locs}))
}

// Create invites a colleague: the account is created and a single-use
// set-password link, valid 72 hours, is emailed.
func (h *OrgUsers) Create(c echo.Context) error {
	locs, err := admFormIDs(c, "locations")
	if err != nil {
		return err
	}
	f := admin.InviteForm{Email: admTrim(c, "email"), Name: admTrim(c, "name"), Role: c.FormValue("role"),
		Language: c.FormValue("language"), Locations: locs}
	id, err := h.store.InviteUser(c.Request().Context(), actor(c), admInviter(c), orgScope(c), models.Invitation{
		Email: f.Email, Name: f.Name, Role: models.Role(f.Role), Language: f.Language, Locations: f.Locations})
	if fe, ok := admFieldErrors(err); ok {
		f.Errors = fe
		return h.invitePage(c, http.StatusUnprocessableEntity, f)
	}
	if err != nil {
		return err
	}
	h.admFlash(c, "success", "admin.users.invited", "Email", f.Email)
	return redirect(c, "/org/users/"+strconv.FormatInt(id, 10))
}

// Show is one person with the role, locations and account controls.
func (h *OrgUsers) Show(c echo.Context) error {
	acc, _, err := h.target(c)
	if err != nil {
		return err
	}
	return h.userPage(c, http.StatusOK, org.UserPage{User: acc, Role: string(acc.Role), Scope: acc.Locations})
}

func (h *OrgUsers) userPage(c echo.Context, status int, p org.UserPage) error {
	locs, err := h.store.OrgLocations(c.Request().Context(), principal(c).OrganisationID)
	if err != nil {
		return err
	}
	p.Locations = locs
	p.Self = p.User.ID == principal(c).ID
	return h.Server.render(c, status, org.User(p))
}

// SetRole makes a person an incentives admin or an incentives user. The
// organisation keeps at least one active incentives admin.
func (h *OrgUsers) SetRole(c echo.Context) error {
	acc, page, err := h.target(c)
	if err != nil {
		return err
	}
	role := c.FormValue("role")
	err = h.store.SetUserRole(c.Request().Context(), actor(c), orgScope(c), acc.ID, models.Role(role))
	p := org.UserPage{User: acc, Role: role, Scope: acc.Locations}
	if fe, ok := admFieldErrors(err); ok {
		p.RoleError = fe["role"]
		return h.userPage(c, http.StatusUnprocessableEntity, p)
	}
	if msg := admRuleMessage(err); msg != "" {
		p.RoleError = msg
		return h.userPage(c, http.StatusUnprocessableEntity, p)
	}
	if err != nil {
		return err
	}
	h.admFlash(c, "success", "org.users.role_saved", "Email", acc.Email)
	if acc.ID == principal(c).ID && models.Role(role) != models.RoleAdmin {
		// No longer an admin: this page is not theirs any more.
		return redirect(c, "/dashboard")
	}
	return redirect(c, page)
}

// SetLocations sets the locations whose claims an incentives user sees.
func (h *OrgUsers) SetLocations(c echo.Context) error {
	acc, page, err := h.target(c)
	if err != nil {
		return err
	}
	locs, err := admFormIDs(c, "locations")
	if err != nil {
		return err
	}
	err = h.store.SetUserLocations(c.Request().Context(), actor(c), orgScope(c), acc.ID, locs)
	if fe, ok := admFieldErrors(err); ok {
		return h.userPage(c, http.StatusUnprocessableEntity, org.UserPage{User: acc, Role: string(acc.Role), Scope: locs, ScopeError: fe["locations"]})
	}
	if err != nil {
		return err
	}
	h.admFlash(c, "success", "org.users.locations_saved", "Email", acc.Email)
	return redirect(c, page)
}
