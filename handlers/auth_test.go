package handlers_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"cpor/handlers"
	"cpor/handlers/handlertest"
	"cpor/models"
)

func TestSignInLandsEachRoleOnItsHome(t *testing.T) {
	t.Parallel()
	env := handlertest.New(t)
	for _, tc := range []struct{ email, home string }{
		{handlertest.AdminEmail, "/dashboard"},
		{handlertest.UserEmail, "/dashboard"},
		{handlertest.ReviewerEmail, "/review"},
		{handlertest.OperatorEmail, "/admin/orgs"},
	} {
		t.Run(tc.email, func(t *testing.T) {
			c := env.NewClient(t)
			handlertest.WantRedirect(t, c.LoginAs(tc.email), tc.home)
			handlertest.WantRedirect(t, c.Get("/"), tc.home)
			home := c.Get(tc.home)
			handlertest.WantStatus(t, home, http.StatusOK)
			// The header names the person and offers "Sign out".
			if got := home.Doc().Find(`form[action="/logout"] button`).Text(); got != "Sign out" {
				t.Errorf("sign-out button %q", got)
			}
			if !strings.Contains(home.Doc().Find("header").Text(), tc.email) &&
				home.Doc().Find(`header a[href="/profile"]`).Length() == 0 {
				t.Error("the header does not show who is signed in")
			}
		})
	}
}

func TestWrongPasswordAndUnknownEmailLookTheSame(t *testing.T) {
	t.Parallel()
	env := handlertest.New(t)
	c := env.NewClient(t)
	const typed = "someone@contoso-partner.test"
	wrong := c.PostForm("/login", url.Values{"email": {handlertest.AdminEmail}, "password": {"not-the-password-1"}})
	unknown := c.PostForm("/login", url.Values{"email": {typed}, "password": {"not-the-password-1"}})
	handlertest.WantStatus(t, wrong, http.StatusUnprocessableEntity)
	handlertest.WantStatus(t, unknown, http.StatusUnprocessableEntity)
	msg := wrong.Doc().Find(`[role="alert"]`).Text()
	if msg != "The email address or password is not right, or the account is disabled." {
		t.Errorf("failure message %q", msg)
	}
	// The pages differ only in the address the person typed, which is kept.
	if v, _ := unknown.Doc().Find(`input[name="email"]`).Attr("value"); v != typed {
		t.Errorf("typed email not kept: %q", v)
	}
	a := strings.ReplaceAll(wrong.Body, handlertest.AdminEmail, "EMAIL")
	b := strings.ReplaceAll(unknown.Body, typed, "EMAIL")
	if a != b {
		t.Errorf("a wrong password and an unknown address give different pages:\n%s\n---\n%s", a, b)
	}
	// A disabled account looks the same too.
	env.Exec(t, `UPDATE users SET disabled = 1 WHERE email = ?`, handlertest.UserEmail)
	disabled := c.PostForm("/login", url.Values{"email": {handlertest.UserEmail}, "password": {models.DemoPassword}})
	handlertest.WantStatus(t, disabled, http.StatusUnprocessableEntity)
	if d := strings.ReplaceAll(disabled.Body, handlertest.UserEmail, "EMAIL"); d != a {
		t.Errorf("a disabled account gives a different page")
	}
}

func TestNextBringsYouBackAndStaysLocal(t *testing.T) {
	t.Parallel()
	env := handlertest.New(t)
	c := env.NewClient(t)
	r := c.Get("/profile?tab=password")
	handlertest.WantRedirect(t, r, "/login?next="+url.QueryEscape("/profile?tab=password"))

	page := c.Get(r.Location())
	handlertest.WantStatus(t, page, http.StatusOK)
	if v, _ := page.Doc().Find(`input[name="next"]`).Attr("value"); v != "/profile?tab=password" {
		t.Fatalf("hidden next = %q", v)
	}
	r = c.Submit(page, `form[action="/login"]`, url.Values{"email": {handlertest.UserEmail}, "password": {models.DemoPassword}})
	handlertest.WantRedirect(t, r, "/profile?tab=password")

	for _, evil := range []string{"//evil.test", "https://evil.test", "http://evil.test/profile", `/\evil.test`, "/\\/evil.test", "javascript:alert(1)", "evil.test"} {
		t.Run(evil, func(t *testing.T) {
			c := env.NewClient(t)
			page := c.Get("/login?next=" + url.QueryEscape(evil))
			handlertest.WantStatus(t, page, http.StatusOK)
			if v, _ := page.Doc().Find(`input[name="next"]`).Attr("value"); v != "" {
				t.Errorf("the sign-in page keeps next=%q", v)
			}
			r := c.PostForm("/login", url.Values{"email": {handlertest.UserEmail}, "password": {models.DemoPassword}, "next": {evil}})
			handlertest.WantRedirect(t, r, "/dashboard")
		})
	}
}

func TestSignInStartsANewSessionAndEndsTheOldOne(t *testing.T) {
	t.Parallel()
	env := handlertest.New(t)
	c := env.NewClient(t)
	c.LoginAs(handlertest.AdminEmail)
	first := c.Cookie("cpor_session")
	if first == nil {
		t.Fatal("no session cookie after sign-in")
	}
	// Another browser with a copy of that cookie is signed in as the admin.
	thief := env.NewClient(t)
	thief.SetCookie(first)
	handlertest.WantStatus(t, thief.Get("/profile"), http.StatusOK)

	// Signing in again (here as someone else) issues a new cookie and ends
	// the old session on the server: the copy no longer works.
	c.LoginAs(handlertest.UserEmail)
	second := c.Cookie("cpor_session")
	if second == nil || second.Value == first.Value {
		t.Fatal("the session cookie did not change on sign-in")
	}
	handlertest.WantRedirect(t, thief.Get("/profile"), "/login?next=%2Fprofile")
	if n := env.QueryInt(t, `SELECT count(*) FROM sessions WHERE user_id = ?`, env.UserID(t, handlertest.AdminEmail)); n != 0 {
		t.Errorf("the admin still has %d sessions", n)
	}
	r := c.Get("/profile")
	handlertest.WantStatus(t, r, http.StatusOK)
	if !strings.Contains(r.Body, handlertest.UserEmail) {
		t.Error("the new session is not the user's")
	}
}

func TestSignOutRevokesTheSessionOnTheServer(t *testing.T) {
	t.Parallel()
	env := handlertest.New(t)
	c := env.NewClient(t)
	c.LoginAs(handlertest.ReviewerEmail)
	old := c.Cookie("cpor_session")
	handlertest.WantRedirect(t, c.Logout(), "/login")
	page := c.Get("/login")
	if got := page.Doc().Find(".flash").Text(); got != "You are signed out." {
		t.Errorf("flash after sign-out %q", got)
	}
	handlertest.WantRedirect(t, c.Get("/review"), "/login?next=%2Freview")

	replay := env.NewClient(t)
	replay.SetCookie(old)
	handlertest.WantRedirect(t, replay.Get("/review"), "/login?next=%2Freview")
	if n := env.QueryInt(t, `SELECT count(*) FROM sessions`); n != 0 {
		t.Errorf("%d sessions left after sign-out", n)
	}
}

func TestPasswordChangeEndsOtherSessionsButKeepsThisOne(t *testing.T) {
	t.Parallel()
	env := handlertest.New(t)
	here, there := env.NewClient(t), env.NewClient(t)
	here.LoginAs(handlertest.UserEmail)
	there.LoginAs(handlertest.UserEmail)

	page := here.Get("/profile")
	const newPw = "a brand new password 2"
	r := here.Submit(page, `form[action="/profile/password"]`, url.Values{
		"current": {models.DemoPassword}, "new": {newPw}, "confirm": {newPw}})
	handlertest.WantRedirect(t, r, "/profile")
	page = here.Get("/profile")
	handlertest.WantStatus(t, page, http.StatusOK)
	if got := page.Doc().Find(".flash").Text(); got != "Your password is changed. Other sessions are signed out." {
		t.Errorf("flash %q", got)
	}
	handlertest.WantRedirect(t, there.Get("/profile"), "/login?next=%2Fprofile")

	fresh := env.NewClient(t)
	r = fresh.PostForm("/login", url.Values{"email": {handlertest.UserEmail}, "password": {models.DemoPassword}})
	handlertest.WantStatus(t, r, http.StatusUnprocessableEntity)
	fresh.Login(handlertest.UserEmail, newPw)
}

func TestDisablingAUserEndsTheirAccessAtOnce(t *testing.T) {
	t.Parallel()
	env := handlertest.New(t)
	c := env.NewClient(t)
	c.LoginAs(handlertest.AdminEmail)
	handlertest.WantStatus(t, c.Get("/dashboard"), http.StatusOK)

	env.Exec(t, `UPDATE users SET disabled = 1 WHERE email = ?`, handlertest.AdminEmail)
	handlertest.WantRedirect(t, c.Get("/dashboard"), "/login?next=%2Fdashboard")
	r := c.PostForm("/profile", url.Values{"name": {"Still here?"}})
	handlertest.WantRedirect(t, r, "/login")
	if n := env.QueryInt(t, `SELECT count(*) FROM users WHERE name = 'Still here?'`); n != 0 {
		t.Error("a disabled user changed their profile")
	}

	// A disabled organisation ends its people's sessions too.
	other := env.NewClient(t)
	other.LoginAs(handlertest.OtherAdminEmail)
	env.Exec(t, `UPDATE organisations SET disabled = 1 WHERE name = 'Fabrikam Services'`)
	handlertest.WantRedirect(t, other.Get("/dashboard"), "/login?next=%2Fdashboard")
}

func TestSessionCookieFlags(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		public string
		secure bool
	}{
		{"http public URL", "", false},
		{"https public URL", "https://cpor.example.test", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := handlertest.New(t, handlertest.WithConfig(func(c *handlers.Config) {
				if tc.public != "" {
					c.PublicURL, c.SecureCookies = tc.public, true
				}
			}))
			c := env.NewClient(t)
			page := c.Get("/login")
			tok, _ := page.Doc().Find(`input[name="_csrf"]`).Attr("value")
			// Post by hand: a jar does not send Secure cookies over http.
			req := c.NewRequest(http.MethodPost, "/login", strings.NewReader(url.Values{
				"_csrf": {tok}, "email": {handlertest.AdminEmail}, "password": {models.DemoPassword}}.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.AddCookie(&http.Cookie{Name: "cpor_csrf", Value: findCookie(page.Cookies(), "cpor_csrf").Value})
			r := c.Do(req)
			handlertest.WantStatus(t, r, http.StatusSeeOther)

			for _, name := range []string{"cpor_session", "cpor_csrf", "lang"} {
				cookies := r.Cookies()
				if name == "cpor_csrf" {
					cookies = page.Cookies()
				}
				ck := findCookie(cookies, name)
				if ck == nil {
					if name == "lang" {
						continue // only set when the profile has a language
					}
					t.Fatalf("no %s cookie set", name)
				}
				if !ck.HttpOnly {
					t.Errorf("%s is not HttpOnly", name)
				}
				if ck.SameSite != http.SameSiteLaxMode {
					t.Errorf("%s SameSite = %v, want Lax", name, ck.SameSite)
				}
				if ck.Secure != tc.secure {
					t.Errorf("%s Secure = %v, want %v", name, ck.Secure, tc.secure)
				}
				if name == "cpor_session" && (ck.MaxAge <= 0 || ck.MaxAge > int(models.SessionMaxAge.Seconds())) {
					t.Errorf("session cookie Max-Age %d", ck.MaxAge)
				}
			}
			if hsts := r.Header.Get("Strict-Transport-Security"); (hsts != "") != tc.secure {
				t.Errorf("Strict-Transport-Security %q with secure=%v", hsts, tc.secure)
			}
		})
	}
}

func findCookie(cs []*http.Cookie, name string) *http.Cookie {
	for _, c := range cs {
		if c.Name == name {
			return c
		}
	}
	return nil
}

func TestSignedInAndTokenPagesAreNotCached(t *testing.T) {
	t.Parallel()
	env := handlertest.New(t)
	c := env.NewClient(t)
	c.LoginAs(handlertest.AdminEmail)
	for _, p := range []string{"/profile", "/dashboard", "/account/password/some-token", "/login"} {
		if cc := c.Get(p).Header.Get("Cache-Control"); cc != "no-store" {
			t.Errorf("%s: Cache-Control %q, want no-store", p, cc)
		}
	}
	// Static files, on the contrary, are cached for good under hashed names.
	if cc := c.Get("/static/css/app.css").Header.Get("Cache-Control"); cc == "no-store" {
		t.Errorf("static files are not cached")
	}
}

func TestSecurityHeaders(t *testing.T) {
	t.Parallel()
	env := handlertest.New(t)
	c := env.NewClient(t)
	c.LoginAs(handlertest.AdminEmail)
	for _, p := range []string{"/login", "/profile", "/dashboard", "/forgot", "/no-such-page", "/account/password/some-token"} {
		r := c.Get(p)
		h := r.Header
		csp := h.Get("Content-Security-Policy")
		if csp == "" || strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
			t.Errorf("%s: CSP %q", p, csp)
		}
		for _, d := range []string{"frame-ancestors 'none'", "script-src 'self'", "object-src 'none'"} {
			if !strings.Contains(csp, d) {
				t.Errorf("%s: CSP lacks %s", p, d)
			}
		}
		if h.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: X-Content-Type-Options %q", p, h.Get("X-Content-Type-Options"))
		}
		wantRef := "same-origin"
		if strings.HasPrefix(p, "/account/password/") {
			wantRef = "no-referrer" // the token in the URL must not leak
		}
		if got := h.Get("Referrer-Policy"); got != wantRef {
			t.Errorf("%s: Referrer-Policy %q, want %q", p, got, wantRef)
		}
		// The CSP forbids inline code, so the page must not need any.
		if strings.HasPrefix(h.Get("Content-Type"), "text/html") {
			d := r.Doc()
			if n := d.Find("script:not([src]), style, [style]").Length(); n > 0 {
				t.Errorf("%s: %d inline scripts or styles", p, n)
			}
			d.Find("*").Each(func(_ int, s *goquery.Selection) {
				for _, a := range s.Nodes[0].Attr {
					if strings.HasPrefix(a.Key, "on") {
						t.Errorf("%s: inline event handler %s on <%s>", p, a.Key, goquery.NodeName(s))
					}
				}
			})
		}
	}
	// The no-referrer rule holds on the POST of a token page too.
	r := c.PostForm("/account/password/some-token", url.Values{"password": {"x"}, "confirm": {"x"}})
	if got := r.Header.Get("Referrer-Policy"); got != "no-referrer" {
		t.Errorf("POST token page: Referrer-Policy %q", got)
	}
}

func TestRequestLogsHoldNoSecrets(t *testing.T) {
	t.Parallel()
	env := handlertest.New(t)
	c := env.NewClient(t)
	c.PostForm("/forgot", url.Values{"email": {handlertest.UserEmail}})
	msg := env.WaitForMail(t, handlertest.To(handlertest.UserEmail))
	link := handlertest.LinkIn(msg, "/account/password/")
	token := link[strings.LastIndex(link, "/")+1:]
	c.Get(link)
	c.PostForm(link, url.Values{"password": {"logged password 123"}, "confirm": {"logged password 123"}})
	c.Login(handlertest.UserEmail, "logged password 123")
	c.Get("/profile?q=secret-search")
	logs := env.Logs()
	for _, secret := range []string{token, "logged password 123", models.DemoPassword, "secret-search"} {
		if strings.Contains(logs, secret) {
			t.Errorf("the logs contain %q", secret)
		}
	}
	if !strings.Contains(logs, "route=/account/password/:token") {
		t.Errorf("token routes are not logged by their pattern:\n%s", logs)
	}
}
