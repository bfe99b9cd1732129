package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"cpor/models"
	"cpor/views/claims"
	"cpor/views/help"
)

// helpPage renders a help topic.
func (s *Server) helpPage(c echo.Context) error {
	switch c.Param("topic") {
	case "":
		return s.render(c, http.StatusOK, help.Index())
	case "create":
		return s.render(c, http.StatusOK, help.Create())
	case "manage":
		return s.render(c, http.StatusOK, help.Manage())
	case "issues":
		return s.render(c, http.StatusOK, help.Issues())
	}
	return echo.ErrNotFound
}

// poeTemplate renders the printable proof-of-execution template of a claim.
func (s *Server) poeTemplate(c echo.Context) error {
	id, err := claimID(c)
	if err != nil {
		return err
	}
	p := principal(c)
	cl, lines, err := s.store.ClaimFor(c.Request().Context(), models.ViewerOf(p), id)
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, claims.PoETemplate(cl, lines, claimBase(p.Role, id)))
}
