package handlers_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"cpor/handlers/handlertest"
)

func pageLang(t *testing.T, r *handlertest.Response) string {
	t.Helper()
	handlertest.WantStatus(t, r, http.StatusOK)
	l, _ := r.Doc().Find("html").Attr("lang")
	return l
}

func TestLoginPageInHungarian(t *testing.T) {
	t.Parallel()
	env := handlertest.New(t)
	c := env.NewClient(t)
	c.Header.Set("Accept-Language", "hu-HU,hu;q=0.9,en;q=0.5")
	r := c.Get("/login")
	if l := pageLang(t, r); l != "hu" {
		t.Fatalf("lang=%q", l)
	}
	if h1 := r.Doc().Find("h1").Text(); h1 != "Bejelentkezés" {
		t.Errorf("heading %q", h1)
	}
	if !strings.Contains(r.Body, "Bejelentkezés") || strings.Contains(r.Body, ">Sign in<") {
		t.Error("the Hungarian sign-in page is not in Hungarian")
	}
	// A failed sign-in answers in Hungarian too.
	r = c.PostForm("/login", url.Values{"email": {"x@example.test"}, "password": {"wrong password"}})
	if strings.Contains(r.Body, "The email address or password is not right") {
		t.Error("the failure message is in English")
	}
}

func TestLanguageChoice(t *testing.T) {
	t.Parallel()
	env := handlertest.New(t)

	t.Run("Accept-Language, then the cookie", func(t *testing.T) {
		c := env.NewClient(t)
		if l := pageLang(t, c.Get("/login")); l != "en" {
			t.Errorf("no preference: %q", l)
		}
		c.Header.Set("Accept-Language", "de-DE, hu;q=0.8")
		if l := pageLang(t, c.Get("/login")); l != "hu" {
			t.Errorf("Accept-Language hu: %q", l)
		}
		// The switch sets a cookie that wins over the browser's header.
		r := c.Submit(c.Get("/forgot"), "form.lang-switch", url.Values{"lang": {"en"}})
		handlertest.WantRedirect(t, r, "/forgot")
		if ck := c.Cookie("lang"); ck == nil || ck.Value != "en" {
			t.Fatalf("lang cookie %v", ck)
		}
		if l := pageLang(t, c.Get("/forgot")); l != "en" {
			t.Errorf("cookie en, header hu: %q", l)
		}
		if l := pageLang(t, c.Get("/login")); l != "en" {
			t.Errorf("cookie en, header hu: %q", l)
		}
	})

	t.Run("the profile wins over the cookie", func(t *testing.T) {
		c := env.NewClient(t)
		c.Header.Set("Accept-Language", "en")
		c.LoginAs(handlertest.AdminEmail)
		env.Exec(t, `UPDATE users SET language = 'hu' WHERE email = ?`, handlertest.AdminEmail)
		c.SetCookie(&http.Cookie{Name: "lang", Value: "en"})
		r := c.Get("/profile")
		if l := pageLang(t, r); l != "hu" {
			t.Errorf("profile hu, cookie en: %q", l)
		}
		// Without a profile language the cookie decides again.
		env.Exec(t, `UPDATE users SET language = '' WHERE email = ?`, handlertest.AdminEmail)
		if l := pageLang(t, c.Get("/profile")); l != "en" {
			t.Errorf("no profile language, cookie en: %q", l)
		}
	})

	t.Run("the switch changes a signed-in person's profile", func(t *testing.T) {
		c := env.NewClient(t)
		c.LoginAs(handlertest.ReviewerEmail)
		page := c.Get("/review")
		sw := page.Doc().Find("form.lang-switch")
		if sw.Find(`button[value="en"]`).Text() != "English" || sw.Find(`button[value="hu"]`).Text() != "Magyar" {
			t.Fatalf("language switch: %q", sw.Text())
		}
		r := c.Submit(page, "form.lang-switch", url.Values{"lang": {"hu"}})
		handlertest.WantRedirect(t, r, "/review")
		if n := env.QueryInt(t, `SELECT count(*) FROM users WHERE email = ? AND language = 'hu'`, handlertest.ReviewerEmail); n != 1 {
			t.Error("the profile's language did not change")
		}
		if l := pageLang(t, c.Get("/review")); l != "hu" {
			t.Errorf("after switching: %q", l)
		}
		// A new browser of the same person starts in their language.
		other := env.NewClient(t)
		other.Header.Set("Accept-Language", "en")
		other.LoginAs(handlertest.ReviewerEmail)
		if l := pageLang(t, other.Get("/review")); l != "hu" {
			t.Errorf("a new browser: %q", l)
		}
		if ck := other.Cookie("lang"); ck == nil || ck.Value != "hu" {
			t.Errorf("sign-in did not set the lang cookie from the profile: %v", ck)
		}
		// The switch never sends people off-site.
		r = c.PostForm("/lang", url.Values{"lang": {"en"}, "back": {"//evil.test/x"}})
		handlertest.WantRedirect(t, r, "/")
	})

	t.Run("the profile form sets the language", func(t *testing.T) {
		c := env.NewClient(t)
		c.LoginAs(handlertest.UserEmail)
		r := c.Submit(c.Get("/profile"), `form[action="/profile"]`, url.Values{"language": {"hu"}})
		handlertest.WantRedirect(t, r, "/profile")
		page := c.Get("/profile")
		if l := pageLang(t, page); l != "hu" {
			t.Errorf("after saving hu: %q", l)
		}
		if got := page.Doc().Find(".flash").Text(); got == "" || got == "Your profile is saved." {
			t.Errorf("flash %q is not in Hungarian", got)
		}
	})
}
