package handlers_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"cpor/handlers/handlertest"
)

func TestCSRF(t *testing.T) {
	t.Parallel()
	env := handlertest.New(t)
	c := env.NewClient(t)
	c.LoginAs(handlertest.AdminEmail)
	token := c.CSRF("/profile")
	nameIs := func(want string) {
		t.Helper()
		if n := env.QueryInt(t, `SELECT count(*) FROM users WHERE email = ? AND name = ?`, handlertest.AdminEmail, want); n != 1 {
			t.Errorf("the admin's name is not %q", want)
		}
	}
	post := func(form url.Values, header map[string]string) *handlertest.Response {
		req := c.NewRequest(http.MethodPost, "/profile", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		for k, v := range header {
			req.Header.Set(k, v)
		}
		return c.Do(req)
	}

	for _, tc := range []struct {
		name   string
		form   url.Values
		header map[string]string
	}{
		{"no token", url.Values{"name": {"Forged 1"}}, nil},
		{"empty token", url.Values{"name": {"Forged 2"}, "_csrf": {""}}, nil},
		{"wrong token", url.Values{"name": {"Forged 3"}, "_csrf": {"x" + token[1:]}}, nil},
		{"token of another browser", url.Values{"name": {"Forged 4"}, "_csrf": {env.NewClient(t).CSRF("/forgot")}}, nil},
		{"cross-site, even with the right token", url.Values{"name": {"Forged 5"}, "_csrf": {token}}, map[string]string{"Sec-Fetch-Site": "cross-site"}},
		{"same-site but not same-origin, no token", url.Values{"name": {"Forged 6"}}, map[string]string{"Sec-Fetch-Site": "same-site"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := post(tc.form, tc.header)
			handlertest.WantStatus(t, r, http.StatusForbidden)
			if h1 := r.Doc().Find("h1").Text(); h1 != "Not allowed" {
				t.Errorf("403 page heading %q", h1)
			}
		})
	}
	nameIs("Anna Admin")

	// The right token from the page works, and so does a browser that says
	// the form came from this very origin (echo ≥ 4.15 trusts Sec-Fetch-Site).
	handlertest.WantRedirect(t, post(url.Values{"name": {"Right Token"}, "_csrf": {token}}, nil), "/profile")
	nameIs("Right Token")
	handlertest.WantRedirect(t, post(url.Values{"name": {"Same Origin"}}, map[string]string{"Sec-Fetch-Site": "same-origin"}), "/profile")
	nameIs("Same Origin")
	// Scripts may send the token in a header.
	handlertest.WantRedirect(t, post(url.Values{"name": {"Header Token"}}, map[string]string{"X-CSRF-Token": token}), "/profile")
	nameIs("Header Token")

	// Signing in and out are protected too (login CSRF, forced sign-out).
	anon := env.NewClient(t)
	r := anon.PostFormRaw("/login", url.Values{"email": {handlertest.AdminEmail}, "password": {"demo-password-1"}})
	handlertest.WantStatus(t, r, http.StatusForbidden)
	handlertest.WantStatus(t, c.PostFormRaw("/logout", nil), http.StatusForbidden)
	handlertest.WantStatus(t, c.Get("/profile"), http.StatusOK)
}

func TestEveryFormCarriesACSRFToken(t *testing.T) {
	t.Parallel()
	env := handlertest.New(t)
	pages := map[string][]string{
		"":                        {"/login", "/forgot"},
		handlertest.AdminEmail:    {"/profile", "/dashboard"},
		handlertest.ReviewerEmail: {"/review"},
	}
	for who, paths := range pages {
		c := env.NewClient(t)
		if who != "" {
			c.LoginAs(who)
		}
		for _, p := range paths {
			r := c.Get(p)
			handlertest.WantStatus(t, r, http.StatusOK)
			forms := r.Doc().Find(`form[method="post"]`)
			if forms.Length() == 0 {
				t.Errorf("%s has no forms", p)
			}
			for i := range forms.Length() {
				f := forms.Eq(i)
				if v, _ := f.Find(`input[type="hidden"][name="_csrf"]`).Attr("value"); v == "" {
					a, _ := f.Attr("action")
					t.Errorf("%s: the form posting to %s has no _csrf token", p, a)
				}
			}
		}
	}
}
