package handlers

import (
	"github.com/labstack/echo/v4"

	"cpor/models"
)

// partnerOrgRoutes registers the organisation pages of partners: users
// (incentives admins only) and locations (read-only, both partner roles).
// The organisation is always the signed-in person's own.
func (s *Server) partnerOrgRoutes(g *echo.Group) {
	locations := &OrgLocations{Server: s}
	g.GET("/org/locations", locations.List)

	users := newOrgUsers(s)
	admins := g.Group("/org/users", requireRole(models.RoleAdmin))
	admins.GET("", users.List)
	admins.GET("/new", users.New)
	admins.POST("", users.Create)
	admins.GET("/:id", users.Show)
	admins.POST("/:id/role", users.SetRole)
	admins.POST("/:id/locations", users.SetLocations)
	admins.POST("/:id/link", users.SendLink)
	admins.GET("/:id/disable", users.DisableForm)
	admins.POST("/:id/disable", users.Disable)
	admins.POST("/:id/enable", users.Enable)
}

// operatorRoutes registers the operator pages under /admin (the group lets
// only operators through). /admin/claims belongs to the claims area.
func (s *Server) operatorRoutes(g *echo.Group) {
	orgs := &AdminOrgs{Server: s}
	g.GET("/orgs", orgs.List)
	g.GET("/orgs/new", orgs.New)
	g.POST("/orgs", orgs.Create)
	g.GET("/orgs/:id", orgs.Show)
	g.GET("/orgs/:id/edit", orgs.EditForm)
	g.POST("/orgs/:id/edit", orgs.Edit)
	g.GET("/orgs/:id/disable", orgs.DisableForm)
	g.POST("/orgs/:id/disable", orgs.Disable)
	g.POST("/orgs/:id/enable", orgs.Enable)
	g.GET("/orgs/:id/locations/new", orgs.NewLocation)
	g.POST("/orgs/:id/locations", orgs.CreateLocation)
	g.GET("/orgs/:id/locations/:loc", orgs.EditLocation)
	g.POST("/orgs/:id/locations/:loc", orgs.UpdateLocation)
	g.GET("/orgs/:id/invite", orgs.InviteForm)
	g.POST("/orgs/:id/invite", orgs.Invite)

	users := newAdminUsers(s)
	g.GET("/users", users.List)
	g.GET("/users/new", users.New)
	g.POST("/users", users.Create)
	g.GET("/users/:id", users.Show)
	g.POST("/users/:id/link", users.SendLink)
	g.GET("/users/:id/disable", users.DisableForm)
	g.POST("/users/:id/disable", users.Disable)
	g.POST("/users/:id/enable", users.Enable)

	ref := &AdminRefData{Server: s}
	g.GET("/refdata", ref.Show)
	g.POST("/refdata/:kind", ref.Add)
	g.POST("/refdata/:kind/:id/retire", ref.Retire)
	g.POST("/refdata/:kind/:id/reinstate", ref.Reinstate)

	dir := &AdminDirectory{Server: s}
	g.GET("/directory", dir.List)
	g.GET("/directory/new", dir.New)
	g.POST("/directory", dir.Create)
	g.GET("/directory/import", dir.ImportForm)
	// POST /directory/import is in operatorUploadRoutes: it needs a larger body limit.
	g.GET("/directory/template.csv", dir.Template)
	g.GET("/directory/:tenant", dir.Show)
	g.POST("/directory/:tenant", dir.Rename)
	g.POST("/directory/:tenant/domains", dir.AddDomain)
	g.GET("/directory/:tenant/domains/remove", dir.RemoveDomainForm)
	g.POST("/directory/:tenant/domains/remove", dir.RemoveDomain)
	g.POST("/directory/:tenant/contacts", dir.SaveContact)
	g.GET("/directory/:tenant/contacts/:contact/remove", dir.RemoveContactForm)
	g.POST("/directory/:tenant/contacts/:contact/remove", dir.RemoveContact)
	g.POST("/directory/:tenant/subscriptions", dir.SaveSubscription)

	hol := &AdminHolidays{Server: s}
	g.GET("/holidays", hol.List)
	g.POST("/holidays", hol.Add)
	g.GET("/holidays/:day/remove", hol.RemoveForm)
	g.POST("/holidays/:day/remove", hol.Remove)

	mail := &AdminMail{Server: s}
	g.GET("/mail", mail.List)
	g.GET("/mail/:id", mail.Show)
	g.POST("/mail/:id/resend", mail.Resend)

	audit := &AdminAudit{Server: s}
	g.GET("/audit", audit.List)
	g.GET("/audit/export.csv", audit.Export)
}

// operatorUploadRoutes registers the operator routes that take large bodies
// (the directory CSV). Every other group already limits bodies to a form's
// size, so these get the same session, language and CSRF middleware with
// the import limit, and the operator check.
func (s *Server) operatorUploadRoutes(e *echo.Echo) {
	// Route middleware, not a group: a group would add its own catch-all
	// for unknown URLs below its prefix.
	dir := &AdminDirectory{Server: s}
	e.POST("/admin/directory/import", dir.Import, append(s.webStack(importBodyLimit), requireRole(models.RoleOperator))...)
}
