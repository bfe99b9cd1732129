package handlers

import (
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

	// Everyone signed in.
	profile := &Profile{Server: s}
	me := web.Group("", requireRole(models.Roles...))
	me.GET("/profile", profile.Show)
	me.POST("/profile", profile.Update)
	me.POST("/profile/password", profile.ChangePassword)

	// Partners.
	partner := web.Group("", requireRole(models.RoleAdmin, models.RoleUser))
	partner.GET("/dashboard", s.dashboard)
	s.partnerOrgRoutes(partner)

	// Reviewers.
	reviewer := web.Group("/review", requireRole(models.RoleReviewer))
	reviewer.GET("", s.reviewQueue)

	// Operators.
	operator := web.Group("/admin", requireRole(models.RoleOperator))
	operator.GET("", s.operatorHome)
	s.operatorRoutes(operator)
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
