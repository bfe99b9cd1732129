package handlers

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"

	"cpor/models"
	"cpor/views"
	"cpor/views/auth"
)

// Auth signs people in and out and handles emailed password links.
type Auth struct{ *Server }

// LoginForm shows the sign-in page (or sends a signed-in person home).
func (a *Auth) LoginForm(c echo.Context) error {
	if p := principal(c); p != nil {
		return redirect(c, homeOf(p.Role))
	}
	return a.render(c, http.StatusOK, auth.Login(auth.LoginForm{Next: safeNext(c.QueryParam("next"))}))
}

// safeNext keeps only local paths, so ?next= cannot send people elsewhere.
func safeNext(next string) string {
	if next == "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
		return ""
	}
	if u, err := url.Parse(next); err != nil || u.Host != "" || u.Scheme != "" {
		return ""
	}
	return next
}

// Login checks the credentials under the rate limits and starts a new session.
func (a *Auth) Login(c echo.Context) error {
	email := strings.TrimSpace(c.FormValue("email"))
	password := c.FormValue("password")
	next := safeNext(c.FormValue("next"))
	now := a.store.Now() // the store's clock, so tests can move the window
	ip := c.RealIP()
	account := strings.ToLower(email)
	if a.loginByAccount.Blocked(account, now) || a.loginByAddress.Blocked(ip, now) {
		a.audit(c, models.Actor{Label: email, IP: ip}, "signin.blocked")
		return a.render(c, http.StatusTooManyRequests, auth.Login(auth.LoginForm{Email: email, Next: next, Blocked: true}))
	}
	u, err := a.store.Authenticate(c.Request().Context(), email, password)
	if errors.Is(err, models.ErrNotFound) {
		a.loginByAccount.Add(account, now)
		a.loginByAddress.Add(ip, now)
		a.audit(c, models.Actor{Label: email, IP: ip}, "signin.failure")
		return a.render(c, http.StatusUnprocessableEntity, auth.Login(auth.LoginForm{Email: email, Next: next, Failed: true}))
	}
	if err != nil {
		return err
	}
	a.loginByAccount.Reset(account)
	// Signing in over a live session ends that session on the server: the
	// old token (perhaps another person's, on a shared computer) must not
	// stay usable once this browser holds a new one.
	if old, ok := c.Get(ctxSessionToken).(string); ok && old != "" {
		if err := a.store.DeleteSession(c.Request().Context(), old); err != nil {
			return err
		}
	}
	token, err := a.store.CreateSession(c.Request().Context(), u.ID, ip)
	if err != nil {
		return err
	}
	a.audit(c, models.Actor{UserID: u.ID, Label: u.Email, IP: ip}, "signin.success")
	// A new cookie session: nothing from before sign-in carries over.
	sess := a.cookies.get(c)
	for k := range sess.Values {
		delete(sess.Values, k)
	}
	sess.Values["sid"] = token
	if err := a.cookies.save(c, sess); err != nil {
		return err
	}
	if views.ValidLang(u.Language) {
		setLangCookie(c, u.Language, a.cfg.SecureCookies)
	}
	if next == "" {
		next = homeOf(u.Role)
	}
	return redirect(c, next)
}

func (a *Auth) audit(c echo.Context, act models.Actor, kind string) {
	if err := a.store.AuditEvent(c.Request().Context(), act, kind, "", ""); err != nil {
		a.log.Error("audit", "err", err)
	}
}

// Logout ends the session on the server and clears the cookie.
func (a *Auth) Logout(c echo.Context) error {
	if tok, ok := c.Get(ctxSessionToken).(string); ok {
		if err := a.store.DeleteSession(c.Request().Context(), tok); err != nil {
			return err
		}
	}
	sess := a.cookies.get(c)
	delete(sess.Values, "sid")
	if err := a.cookies.save(c, sess); err != nil {
		return err
	}
	c.Set(ctxPrincipal, nil)
	a.flash(c, "info", "auth.signed_out")
	return redirect(c, "/login")
}

// SwitchLanguage sets the language cookie and, for a signed-in person, the
// profile's language (which otherwise would win over the cookie).
func (a *Auth) SwitchLanguage(c echo.Context) error {
	l := c.FormValue("lang")
	if !views.ValidLang(l) {
		return echo.NewHTTPError(http.StatusBadRequest)
	}
	setLangCookie(c, l, a.cfg.SecureCookies)
	if p := principal(c); p != nil && p.Language != l {
		if err := a.store.UpdateProfile(c.Request().Context(), actor(c), p.ID, p.Name, l); err != nil {
			return err
		}
	}
	back := safeNext(c.FormValue("back"))
	if back == "" {
		back = "/"
	}
	return redirect(c, back)
}

func setLangCookie(c echo.Context, l string, secure bool) {
	c.SetCookie(&http.Cookie{Name: "lang", Value: l, Path: "/", MaxAge: 365 * 24 * 3600, HttpOnly: true,
		Secure: secure, SameSite: http.SameSiteLaxMode})
}

// ForgotForm shows "Forgot password?".
func (a *Auth) ForgotForm(c echo.Context) error {
	return a.render(c, http.StatusOK, auth.Forgot(auth.ForgotForm{}))
}

// Forgot emails a reset link if the address has an account. The answer is
// the same either way, so the page cannot be used to probe for accounts.
func (a *Auth) Forgot(c echo.Context) error {
	email := strings.TrimSpace(c.FormValue("email"))
	if !models.ValidEmail(email) {
		return a.render(c, http.StatusUnprocessableEntity, auth.Forgot(auth.ForgotForm{Email: email, Error: "err.email"}))
	}
	if !a.linkLimiter.Allow("forgot:" + c.RealIP()) {
		return echo.NewHTTPError(http.StatusTooManyRequests)
	}
	if err := a.store.RequestPasswordReset(c.Request().Context(), actor(c), email); err != nil {
		return err
	}
	return a.render(c, http.StatusOK, auth.Forgot(auth.ForgotForm{Sent: true}))
}

func linkProblem(err error) string {
	switch {
	case errors.Is(err, models.ErrLinkExpired):
		return "auth.link_expired"
	case errors.Is(err, models.ErrLinkUsed):
		return "auth.link_used"
	}
	return "auth.link_unknown"
}

// SetPasswordForm shows the page behind a reset or invitation link. It only
// reads: mail scanners open links, so the link is used by the POST.
func (a *Auth) SetPasswordForm(c echo.Context) error {
	noReferrer(c)
	tok := c.Param("token")
	l, err := a.store.CheckAccountLink(c.Request().Context(), tok)
	if err != nil && !errors.Is(err, models.ErrNotFound) && !errors.Is(err, models.ErrLinkExpired) && !errors.Is(err, models.ErrLinkUsed) {
		return err
	}
	f := auth.SetPasswordForm{Token: tok}
	if err != nil {
		f.Problem = linkProblem(err)
		return a.render(c, http.StatusNotFound, auth.SetPassword(f))
	}
	f.Email, f.Invite = l.User.Email, l.Purpose == models.PurposeInvite
	return a.render(c, http.StatusOK, auth.SetPassword(f))
}

// SetPassword uses the link: sets the password, ends the person's sessions.
func (a *Auth) SetPassword(c echo.Context) error {
	noReferrer(c)
	tok := c.Param("token")
	pw, confirm := c.FormValue("password"), c.FormValue("confirm")
	l, err := a.store.CheckAccountLink(c.Request().Context(), tok)
	f := auth.SetPasswordForm{Token: tok}
	if err != nil {
		f.Problem = linkProblem(err)
		return a.render(c, http.StatusNotFound, auth.SetPassword(f))
	}
	f.Email, f.Invite = l.User.Email, l.Purpose == models.PurposeInvite
	if msg := models.ValidatePassword(pw); msg != "" {
		f.Error = msg
	} else if pw != confirm {
		f.Confirm = "err.password_mismatch"
	}
	if f.Error != "" || f.Confirm != "" {
		return a.render(c, http.StatusUnprocessableEntity, auth.SetPassword(f))
	}
	if _, err := a.store.UseAccountLink(c.Request().Context(), actor(c), tok, pw); err != nil {
		var fe models.FieldErrors
		switch {
		case errors.As(err, &fe):
			f.Error = fe["password"]
			return a.render(c, http.StatusUnprocessableEntity, auth.SetPassword(f))
		case errors.Is(err, models.ErrNotFound), errors.Is(err, models.ErrLinkUsed), errors.Is(err, models.ErrLinkExpired):
			f.Problem = linkProblem(err)
			return a.render(c, http.StatusNotFound, auth.SetPassword(f))
		}
		return err
	}
	// Whoever was signed in on this browser is signed out too.
	sess := a.cookies.get(c)
	delete(sess.Values, "sid")
	_ = a.cookies.save(c, sess)
	a.flash(c, "success", "auth.password_set")
	return redirect(c, "/login")
}

// noReferrer keeps a secret in the URL from leaking to other sites.
func noReferrer(c echo.Context) { c.Response().Header().Set("Referrer-Policy", "no-referrer") }
