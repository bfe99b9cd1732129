package handlers

import (
	"errors"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"cpor/models"
	"cpor/views"
	"cpor/views/auth"
)

// Profile is the signed-in person's own page.
type Profile struct{ *Server }

// Show renders the profile.
func (h *Profile) Show(c echo.Context) error {
	p := principal(c)
	return h.render(c, http.StatusOK, auth.Profile(auth.ProfileForm{Name: p.Name, Language: p.Language}))
}

// Update saves the name and language.
func (h *Profile) Update(c echo.Context) error {
	p := principal(c)
	f := auth.ProfileForm{Name: strings.TrimSpace(c.FormValue("name")), Language: c.FormValue("language")}
	if len([]rune(f.Name)) > 120 {
		f.NameError = "err.too_long_120"
	}
	if f.Language != "" && !views.ValidLang(f.Language) {
		return echo.NewHTTPError(http.StatusBadRequest)
	}
	if f.NameError != "" {
		return h.render(c, http.StatusUnprocessableEntity, auth.Profile(f))
	}
	if err := h.store.UpdateProfile(c.Request().Context(), actor(c), p.ID, f.Name, f.Language); err != nil {
		return err
	}
	if f.Language != "" {
		setLangCookie(c, f.Language, h.cfg.SecureCookies)
		c.Set(ctxLang, f.Language)
	}
	h.flash(c, "success", "profile.saved")
	return redirect(c, "/profile")
}

// ChangePassword checks the current password, sets the new one and ends
// every other session of the person.
func (h *Profile) ChangePassword(c echo.Context) error {
	p := principal(c)
	f := auth.ProfileForm{Name: p.Name, Language: p.Language}
	cur, next, confirm := c.FormValue("current"), c.FormValue("new"), c.FormValue("confirm")
	if cur == "" {
		f.PwCurrent = "err.required"
	}
	if msg := models.ValidatePassword(next); msg != "" {
		f.PwNew = msg
	} else if next != confirm {
		f.PwConfirm = "err.password_mismatch"
	}
	if f.PwCurrent == "" && f.PwNew == "" && f.PwConfirm == "" {
		tok, _ := c.Get(ctxSessionToken).(string)
		err := h.store.ChangePassword(c.Request().Context(), actor(c), p.ID, cur, next, models.SessionHash(tok))
		var fe models.FieldErrors
		switch {
		case err == nil:
			h.flash(c, "success", "profile.password_changed")
			return redirect(c, "/profile")
		case errors.As(err, &fe):
			f.PwCurrent, f.PwNew = fe["current"], fe["new"]
		default:
			return err
		}
	}
	return h.render(c, http.StatusUnprocessableEntity, auth.Profile(f))
}
