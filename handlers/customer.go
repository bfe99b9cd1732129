package handlers

import (
	"errors"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"cpor/models"
	"cpor/views/customer"
)

// Customer serves the pages behind the links emailed to customers. There is
// no account: the link's token is the key, so it is never logged (the
// request log prints the route pattern), the page is not cached and sends
// no referrer, and every request is rate-limited per address.
type Customer struct{ *Server }

// tokenPage sets the headers every token page needs and applies the rate limit.
func (h *Customer) tokenPage(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		noReferrer(c)
		if !h.linkLimiter.Allow(c.RealIP()) {
			return echo.NewHTTPError(http.StatusTooManyRequests)
		}
		return next(c)
	}
}

func (h *Customer) view(c echo.Context, status int, notice string, confirm bool, reason string) error {
	tok := c.Param("token")
	v, err := h.store.CustomerLink(c.Request().Context(), tok)
	if err != nil {
		return err
	}
	return h.render(c, status, customer.Link(customer.LinkPage{Token: tok, View: v, Notice: notice, Confirm: confirm, Reason: reason}))
}

// Show renders the link page; it only reads (mail scanners open links).
func (h *Customer) Show(c echo.Context) error { return h.view(c, http.StatusOK, "", false, "") }

// ConfirmEnd is the confirmation step before ending an official association.
func (h *Customer) ConfirmEnd(c echo.Context) error { return h.view(c, http.StatusOK, "", true, "") }

func (h *Customer) decide(act models.Action, done string) echo.HandlerFunc {
	return func(c echo.Context) error {
		tok := c.Param("token")
		reason := strings.TrimSpace(c.FormValue("reason"))
		res, err := h.store.CustomerDecide(c.Request().Context(), tok, act, reason, c.RealIP())
		switch {
		case errors.Is(err, models.ErrLinkReplaced):
			return h.view(c, http.StatusConflict, "", false, "")
		case errors.Is(err, models.ErrConflict), errors.Is(err, models.ErrForbidden):
			// Someone decided first, or the deadline passed: show what holds now.
			return h.view(c, http.StatusConflict, "customer.already_decided", false, "")
		case err != nil:
			return err
		case res.AlreadyDone:
			return h.view(c, http.StatusOK, "customer.already_recorded", false, "")
		}
		return h.view(c, http.StatusOK, done, false, "")
	}
}

// NewLinkForm shows "Send me a new link".
func (h *Customer) NewLinkForm(c echo.Context) error {
	noReferrer(c)
	return h.render(c, http.StatusOK, customer.NewLink("", "", false))
}

// NewLink mails a new link if the address is a directory contact of a tenant
// with an open claim; the answer is the same either way.
func (h *Customer) NewLink(c echo.Context) error {
	noReferrer(c)
	email := strings.TrimSpace(c.FormValue("email"))
	if !models.ValidEmail(email) {
		return h.render(c, http.StatusUnprocessableEntity, customer.NewLink(email, "err.email", false))
	}
	if !h.linkLimiter.Allow("new:" + c.RealIP()) {
		return echo.NewHTTPError(http.StatusTooManyRequests)
	}
	if err := h.store.RequestNewLink(c.Request().Context(), email); err != nil {
		return err
	}
	return h.render(c, http.StatusOK, customer.NewLink("", "", true))
}
