package handlers

import "github.com/labstack/echo/v4"

// partnerOrgRoutes registers the organisation pages of partners:
// users (incentives admins only) and locations (read-only).
func (s *Server) partnerOrgRoutes(g *echo.Group) {}

// operatorRoutes registers the operator pages under /admin.
func (s *Server) operatorRoutes(g *echo.Group) {}

// operatorUploadRoutes registers operator routes that take larger bodies.
func (s *Server) operatorUploadRoutes(e *echo.Echo) {}
