package handlers

import (
	"context"
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"cpor/models"
	"cpor/views/errorpages"
)

// errorPages are the statuses with their own text; others use the nearest.
var errorPages = map[int]bool{400: true, 403: true, 404: true, 405: true, 409: true, 413: true, 429: true, 500: true}

// statusOf maps an error to the HTTP status it should produce.
func statusOf(err error) int {
	var he *echo.HTTPError
	switch {
	case errors.As(err, &he):
		return he.Code
	case errors.Is(err, models.ErrNotFound):
		return http.StatusNotFound
	case errors.Is(err, models.ErrConflict):
		return http.StatusConflict
	case errors.Is(err, models.ErrForbidden):
		return http.StatusForbidden
	}
	return http.StatusInternalServerError
}

// handleError is the one HTML error handler. It does nothing when the
// response has started, logs server errors with the request ID, and shows a
// page in the person's language with no internals.
func (s *Server) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	status := statusOf(err)
	rid := c.Response().Header().Get(echo.HeaderXRequestID)
	if status >= 500 {
		s.log.Error("request failed", "err", err, "request_id", rid, "route", c.Path())
	}
	page := status
	if !errorPages[page] {
		page = 400
		if status >= 500 {
			page = 500
		}
	}
	if c.Request().Method == http.MethodHead {
		_ = c.NoContent(status)
		return
	}
	if status < 500 {
		rid = ""
	}
	// The error arrives after ContextTimeout has returned and cancelled the
	// request's context; templ refuses to render into a cancelled context, so
	// render the page with one that keeps the values but not the cancellation.
	c.SetRequest(c.Request().WithContext(context.WithoutCancel(c.Request().Context())))
	if rerr := s.render(c, status, errorpages.Error(page, rid, conflictBack(err))); rerr != nil {
		s.log.Error("render error page", "err", rerr)
		_ = c.String(status, http.StatusText(status))
	}
}

// conflict is a 409 whose page offers to reload the claim it is about.
type conflict struct{ back string }

func (c *conflict) Error() string { return "conflict" }

// Is makes a conflict match models.ErrConflict for statusOf.
func (c *conflict) Is(target error) bool { return target == models.ErrConflict }

// conflictAt wraps a 409 so its page links back to url.
func conflictAt(url string) error { return &conflict{back: url} }

func conflictBack(err error) string {
	var c *conflict
	if errors.As(err, &c) {
		return c.back
	}
	return ""
}
