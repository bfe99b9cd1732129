package handlers

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"cpor/models"
	"cpor/views"
	"cpor/views/admin"
)

// accountActions are the account controls shared by the partner users page
// (scope: the admin's organisation) and the platform users page (scope:
// reviewers and operators): confirm and disable, enable, send a link. The
// scope is part of every query, so a user outside it is not found.
type accountActions struct {
	*Server
	scope func(c echo.Context) models.UserScope
	base  string // e.g. "/org/users"
}

func (h *accountActions) target(c echo.Context) (*models.Account, string, error) {
	id, err := admParamID(c, "id")
	if err != nil {
		return nil, "", err
	}
	acc, err := h.store.ScopedUser(c.Request().Context(), h.scope(c), id)
	if err != nil {
		return nil, "", err
	}
	return acc, h.base + "/" + c.Param("id"), nil
}

// DisableForm asks before disabling a person.
func (h *accountActions) DisableForm(c echo.Context) error {
	acc, page, err := h.target(c)
	if err != nil {
		return err
	}
	if acc.Disabled {
		return redirect(c, page)
	}
	l := lang(c)
	cat := views.TheCatalog()
	return h.render(c, http.StatusOK, admin.ConfirmPage(admin.Confirm{
		Title: "admin.users.disable_title",
		Text: []string{
			cat.Text(l, "admin.users.disable_text", map[string]any{"Name": acc.DisplayName(), "Email": acc.Email}),
			cat.Text(l, "admin.users.disable_text2", nil),
		},
		Action: page + "/disable", Button: "admin.users.disable", Danger: true, Cancel: page,
	}))
}

// Disable disables a person and ends their sessions at once.
func (h *accountActions) Disable(c echo.Context) error { return h.setDisabled(c, true) }

// Enable lets a disabled person sign in again.
func (h *accountActions) Enable(c echo.Context) error { return h.setDisabled(c, false) }

func (h *accountActions) setDisabled(c echo.Context, disabled bool) error {
	acc, page, err := h.target(c)
	if err != nil {
		return err
	}
	err = h.store.SetUserDisabled(c.Request().Context(), actor(c), h.scope(c), acc.ID, disabled)
	if msg := admRuleMessage(err); msg != "" {
		h.flash(c, "error", msg)
		return redirect(c, page)
	}
	if err != nil {
		return err
	}
	if disabled {
		h.admFlash(c, "success", "admin.users.disabled_done", "Email", acc.Email)
	} else {
		h.admFlash(c, "success", "admin.users.enabled_done", "Email", acc.Email)
	}
	return redirect(c, page)
}

// SendLink emails a new invitation (never signed in) or a password-reset link.
func (h *accountActions) SendLink(c echo.Context) error {
	acc, page, err := h.target(c)
	if err != nil {
		return err
	}
	purpose, err := h.store.SendUserLink(c.Request().Context(), actor(c), admInviter(c), h.scope(c), acc.ID)
	if errors.Is(err, models.ErrConflict) {
		h.flash(c, "error", "admin.users.link_disabled")
		return redirect(c, page)
	}
	if err != nil {
		return err
	}
	if purpose == models.PurposeInvite {
		h.admFlash(c, "success", "admin.users.invite_sent", "Email", acc.Email)
	} else {
		h.admFlash(c, "success", "admin.users.reset_sent", "Email", acc.Email)
	}
	return redirect(c, page)
}
