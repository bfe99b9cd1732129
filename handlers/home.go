package handlers

import (
	"github.com/labstack/echo/v4"
)

func (s *Server) operatorHome(c echo.Context) error { return redirect(c, "/admin/orgs") }
