package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"cpor/models"
)

// routes is the one route table: public, customer-link, signed-in, partner,
// reviewer and operator groups. Role checks are middleware on the group;
// object checks live in the queries (another organisation's claim is simply
// not found).
func (s *Server) routes(e *echo.Echo) {
	health := &Health{store: s.store, worker: s.worker}
	e.GET("/healthz", health.Live)
	e.GET("/readyz", health.Ready)
	e.GET("/static/*", serveStatic)

	web := e.Group("", s.webStack(formBodyLimit)...)

	// Public.
	auth := &Auth{Server: s}
	web.GET("/", s.home)
	web.GET("/login", auth.LoginForm)
	web.POST("/login", auth.Login)
	web.POST("/logout", auth.Logout)
	web.POST("/lang", auth.SwitchLanguage)
	web.GET("/forgot", auth.ForgotForm)
	web.POST("/forgot", auth.Forgot)
	web.GET("/account/password/:token", auth.SetPasswordForm)
	web.POST("/account/password/:token", auth.SetPassword)

	// Customers, through emailed links (no account).
	cust := &Customer{Server: s}
	web.GET("/c/new", cust.NewLinkForm)
	web.POST("/c/new", cust.NewLink)
	link := web.Group("/c/:token", cust.tokenPage)
	link.GET("", cust.Show)
	link.POST("/accept", cust.decide(models.ActCustomerAccept, "customer.done_accept"))
	link.POST("/opt-out", cust.decide(models.ActCustomerOptOut, "customer.done_optout"))
	link.GET("/end", cust.ConfirmEnd)
	link.POST("/end", cust.decide(models.ActCustomerEnd, "customer.done_end"))

	// Everyone signed in.
	profile := &Profile{Server: s}
	me := web.Group("", requireRole(models.Roles...))
	me.GET("/profile", profile.Show)
	me.POST("/profile", profile.Update)
	me.POST("/profile/password", profile.ChangePassword)
	me.GET("/help", s.helpPage)
	me.GET("/help/:topic", s.helpPage)

	// Partners.
	partner := web.Group("", requireRole(models.RoleAdmin, models.RoleUser))
	partner.GET("/dashboard", s.dashboard)
	cl := &Claims{Server: s}
	partner.GET("/claims", s.claimList)
	partner.GET("/claims/export.csv", s.exportCSV)
	partner.GET("/claims/new", cl.New)
	partner.POST("/claims", cl.Create)
	partner.GET("/claims/:id", cl.Show)
	partner.GET("/claims/:id/edit", cl.Edit)
	partner.POST("/claims/:id", cl.Update)
	partner.GET("/claims/:id/confirm/:action", cl.Confirm)
	partner.POST("/claims/:id/actions/:action", cl.Act)
	partner.POST("/claims/:id/comments", s.comment)
	partner.GET("/claims/:id/files/:file", s.file)
	partner.GET("/claims/:id/poe-template", s.poeTemplate)
	// Uploads carry files: a larger body limit than other forms.
	uploads := e.Group("", append(s.webStack(uploadBodyLimit), requireRole(models.RoleAdmin, models.RoleUser))...)
	uploads.POST("/claims/:id/files", cl.Upload)
	uploads.POST("/claims/:id/dispute", cl.Dispute)
	s.partnerOrgRoutes(partner)

	// Reviewers.
	reviewer := web.Group("/review", requireRole(models.RoleReviewer))
	reviewer.GET("", s.reviewQueue)
	rv := &Review{Server: s}
	reviewer.GET("/claims/:id", rv.Show)
	reviewer.POST("/claims/:id/actions/:action", rv.Act)
	reviewer.POST("/claims/:id/comments", s.comment)
	reviewer.GET("/claims/:id/files/:file", s.file)

	// Operators.
	operator := web.Group("/admin", requireRole(models.RoleOperator))
	operator.GET("", s.operatorHome)
	operator.GET("/claims", s.claimList)
	operator.GET("/claims/:id", func(c echo.Context) error { return s.renderShow(c, http.StatusOK, nil) })
	operator.GET("/claims/:id/files/:file", s.file)
	s.operatorRoutes(operator)

	// Groups with middleware register their own catch-all; the last one
	// registered wins, so this one, without a role check, must come last:
	// an unknown URL is 404 for everyone, not a 403 or a sign-in page.
	web.RouteNotFound("/*", func(echo.Context) error { return echo.ErrNotFound })
	s.operatorUploadRoutes(e)
}

// home sends each role to its own home page, and anonymous people to sign in.
func (s *Server) home(c echo.Context) error {
	p := principal(c)
	if p == nil {
		return redirect(c, "/login")
	}
	return redirect(c, homeOf(p.Role))
}

func homeOf(r models.Role) string {
	switch r {
	case models.RoleReviewer:
		return "/review"
	case models.RoleOperator:
		return "/admin/orgs"
	}
	return "/dashboard"
}
