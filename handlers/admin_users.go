package handlers

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"cpor/models"
	"cpor/views/admin"
)

// AdminUsers is the operators' management of reviewers and operators.
type AdminUsers struct {
	*Server
	accountActions
}

func newAdminUsers(s *Server) *AdminUsers {
	return &AdminUsers{Server: s, accountActions: accountActions{Server: s, base: "/admin/users",
		scope: func(echo.Context) models.UserScope { return models.PlatformScope }}}
}

// List shows the reviewers and operators.
func (h *AdminUsers) List(c echo.Context) error {
	users, err := h.store.ScopedUsers(c.Request().Context(), models.PlatformScope)
	if err != nil {
		return err
	}
	return h.Server.render(c, http.StatusOK, admin.PlatformUsers(admin.PlatformUserList{Users: users}))
}

// New shows the invitation form.
func (h *AdminUsers) New(c echo.Context) error {
	return h.Server.render(c, http.StatusOK, admin.PlatformInvite(admin.InviteForm{Role: string(models.RoleReviewer)}))
}

// Create invites a reviewer or operator.
func (h *AdminUsers) Create(c echo.Context) error {
	f := admin.InviteForm{Email: admTrim(c, "email"), Name: admTrim(c, "name"), Role: c.FormValue("role"), Language: c.FormValue("language")}
	id, err := h.store.InviteUser(c.Request().Context(), actor(c), admInviter(c), models.PlatformScope, models.Invitation{
		Email: f.Email, Name: f.Name, Role: models.Role(f.Role), Language: f.Language})
	if fe, ok := admFieldErrors(err); ok {
		f.Errors = fe
		return h.Server.render(c, http.StatusUnprocessableEntity, admin.PlatformInvite(f))
	}
	if err != nil {
		return err
	}
	h.admFlash(c, "success", "admin.users.invited", "Email", f.Email)
	return redirect(c, "/admin/users/"+strconv.FormatInt(id, 10))
}

// Show is one reviewer or operator with the account controls.
func (h *AdminUsers) Show(c echo.Context) error {
	acc, _, err := h.target(c)
	if err != nil {
		return err
	}
	return h.Server.render(c, http.StatusOK, admin.PlatformUser(admin.PlatformUserPage{User: acc, Self: acc.ID == principal(c).ID}))
}
