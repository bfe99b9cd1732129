package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"cpor/models"
	"cpor/views/org"
)

// OrgLocations is the organisation's read-only locations page.
type OrgLocations struct{ *Server }

// List shows the MPN IDs and their program enrolments; an incentives user
// also sees which are in their scope.
func (h *OrgLocations) List(c echo.Context) error {
	ctx := c.Request().Context()
	p := principal(c)
	locs, err := h.store.OrgLocations(ctx, p.OrganisationID)
	if err != nil {
		return err
	}
	ref, err := h.store.RefData(ctx)
	if err != nil {
		return err
	}
	page := org.LocationsPage{Locations: locs, Programs: ref.Programs}
	if p.Role == models.RoleUser {
		page.Scope = append([]int64{}, p.Locations...)
	}
	return h.render(c, http.StatusOK, org.Locations(page))
}
