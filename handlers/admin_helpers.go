package handlers

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"cpor/models"
	"cpor/views"
)

// admParamID reads a numeric path parameter; anything else is simply not found.
func admParamID(c echo.Context, name string) (int64, error) {
	id, err := strconv.ParseInt(c.Param(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, echo.ErrNotFound
	}
	return id, nil
}

// admFormIDs reads a repeated numeric form field (a group of checkboxes).
// A value that is not an ID is a malformed request.
func admFormIDs(c echo.Context, name string) ([]int64, error) {
	params, err := c.FormParams()
	if err != nil {
		return nil, echo.NewHTTPError(http.StatusBadRequest)
	}
	var out []int64
	for _, v := range params[name] {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id <= 0 {
			return nil, echo.NewHTTPError(http.StatusBadRequest)
		}
		out = append(out, id)
	}
	return out, nil
}

// admFieldErrors reports whether err carries field messages.
func admFieldErrors(err error) (models.FieldErrors, bool) {
	var fe models.FieldErrors
	if errors.As(err, &fe) {
		return fe, true
	}
	return nil, false
}

// admRuleMessage maps a refused user-administration rule to its message.
func admRuleMessage(err error) string {
	switch {
	case errors.Is(err, models.ErrLastAdmin):
		return "admin.err.last_admin"
	case errors.Is(err, models.ErrLastOperator):
		return "admin.err.last_operator"
	case errors.Is(err, models.ErrOwnAccount):
		return "admin.err.own_account"
	}
	return ""
}

// admFlash queues a translated message with fields for the next page.
func (s *Server) admFlash(c echo.Context, kind, id string, kv ...any) {
	data := map[string]any{}
	for i := 0; i+1 < len(kv); i += 2 {
		data[kv[i].(string)] = kv[i+1]
	}
	s.cookies.addFlash(c, kind, views.TheCatalog().Text(lang(c), id, data))
}

// admURL builds path?query from the non-empty values.
func admURL(path string, kv ...string) string {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] != "" {
			v.Set(kv[i], kv[i+1])
		}
	}
	if len(v) == 0 {
		return path
	}
	return path + "?" + v.Encode()
}

// admTrim returns a trimmed form value.
func admTrim(c echo.Context, name string) string { return strings.TrimSpace(c.FormValue(name)) }

// admInviter is the signed-in person, as named in invitation emails.
func admInviter(c echo.Context) *models.User {
	p := principal(c)
	if p == nil {
		return nil
	}
	u := p.User
	return &u
}
