package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"cpor/views/home"
)

func (s *Server) dashboard(c echo.Context) error {
	return s.render(c, http.StatusOK, home.Placeholder("nav.dashboard"))
}

func (s *Server) reviewQueue(c echo.Context) error {
	return s.render(c, http.StatusOK, home.Placeholder("nav.review_queue"))
}

func (s *Server) operatorHome(c echo.Context) error { return redirect(c, "/admin/orgs") }

func (s *Server) claimList(c echo.Context) error {
	return s.render(c, http.StatusOK, home.Placeholder("nav.claims"))
}
