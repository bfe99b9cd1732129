package handlers_test

import (
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"

	"cpor/handlers"
	"cpor/handlers/handlertest"
	"cpor/models"
)

const tooManySignIns = "Too many failed sign-ins. Wait 15 minutes and try again, or reset your password."

func signIn(c *handlertest.Client, email, password string) *handlertest.Response {
	return c.PostForm("/login", url.Values{"email": {email}, "password": {password}})
}

// wantBlocked checks the 429 is the sign-in page with the "too many" message.
func wantBlocked(t *testing.T, r *handlertest.Response) {
	t.Helper()
	handlertest.WantStatus(t, r, http.StatusTooManyRequests)
	if got := r.Doc().Find(`[role="alert"]`).Text(); got != tooManySignIns {
		t.Errorf("429 message %q", got)
	}
	if r.Doc().Find(`form[action="/login"]`).Length() != 1 {
		t.Error("the 429 answer is not the sign-in page")
	}
}

func TestFiveFailuresBlockTheAccount(t *testing.T) {
	t.Parallel()
	env := handlertest.New(t)
	c := env.NewClient(t)
	for i := range 5 {
		handlertest.WantStatus(t, signIn(c, handlertest.UserEmail, fmt.Sprintf("wrong password %d", i)), http.StatusUnprocessableEntity)
	}
	// The sixth attempt is refused even with the right password…
	wantBlocked(t, signIn(c, handlertest.UserEmail, models.DemoPassword))
	// …from another address too (the limit is per account), and the
	// address-based case is covered below; other accounts are unaffected.
	other := env.NewClient(t)
	wantBlocked(t, signIn(other, "USER@contoso-partner.test", models.DemoPassword))
	other.LoginAs(handlertest.AdminEmail)

	// After the window the account can sign in again.
	env.Clock.Advance(15 * time.Minute)
	c.LoginAs(handlertest.UserEmail)
}

func TestASuccessfulSignInResetsTheAccountCount(t *testing.T) {
	t.Parallel()
	env := handlertest.New(t)
	for range 3 {
		c := env.NewClient(t)
		for i := range 4 {
			handlertest.WantStatus(t, signIn(c, handlertest.AdminEmail, fmt.Sprintf("wrong %d", i)), http.StatusUnprocessableEntity)
		}
		c.LoginAs(handlertest.AdminEmail)
	}
}

func TestTwentyFailuresBlockTheAddress(t *testing.T) {
	t.Parallel()
	env := handlertest.New(t)
	c := env.NewClient(t)
	// Four failures on each of the five accounts: no account reaches five.
	accounts := []string{handlertest.AdminEmail, handlertest.UserEmail, handlertest.OtherAdminEmail, handlertest.ReviewerEmail, handlertest.OperatorEmail}
	for _, a := range accounts {
		for i := range 4 {
			handlertest.WantStatus(t, signIn(c, a, fmt.Sprintf("wrong %d", i)), http.StatusUnprocessableEntity)
		}
	}
	wantBlocked(t, signIn(c, handlertest.AdminEmail, models.DemoPassword))
	wantBlocked(t, signIn(env.NewClient(t), "someone-new@example.test", "whatever password"))
	if n := env.QueryInt(t, `SELECT count(*) FROM audit_log WHERE kind = 'signin.blocked'`); n != 2 {
		t.Errorf("%d blocked sign-ins audited, want 2", n)
	}
}

func TestSignInLimitsAreConfigurable(t *testing.T) {
	t.Parallel()
	env := handlertest.New(t, handlertest.WithConfig(func(c *handlers.Config) {
		c.LoginFailuresPerAccount = 2
		c.LoginFailuresPerAddress = 3
		c.LoginWindow = time.Minute
	}))
	c := env.NewClient(t)
	for range 2 {
		handlertest.WantStatus(t, signIn(c, handlertest.AdminEmail, "wrong"), http.StatusUnprocessableEntity)
	}
	wantBlocked(t, signIn(c, handlertest.AdminEmail, models.DemoPassword))
	handlertest.WantStatus(t, signIn(c, handlertest.UserEmail, "wrong"), http.StatusUnprocessableEntity)
	wantBlocked(t, signIn(c, handlertest.ReviewerEmail, models.DemoPassword)) // the address's third failure was the last

	env.Clock.Advance(59 * time.Second)
	wantBlocked(t, signIn(c, handlertest.ReviewerEmail, models.DemoPassword))
	env.Clock.Advance(time.Second)
	c.LoginAs(handlertest.ReviewerEmail)
	c.LoginAs(handlertest.AdminEmail)
}

func TestLinkRequestsAreLimitedPerAddress(t *testing.T) {
	t.Parallel()
	env := handlertest.New(t, handlertest.WithConfig(func(c *handlers.Config) { c.LinkRequestsPerMinute = 3 }))
	c := env.NewClient(t)
	for i := range 3 {
		handlertest.WantStatus(t, c.PostForm("/forgot", url.Values{"email": {fmt.Sprintf("nobody%d@example.test", i)}}), http.StatusOK)
	}
	r := c.PostForm("/forgot", url.Values{"email": {handlertest.UserEmail}})
	handlertest.WantStatus(t, r, http.StatusTooManyRequests)
	if h1 := r.Doc().Find("h1").Text(); h1 != "Too many requests" {
		t.Errorf("429 page heading %q", h1)
	}
	if n := env.QueryInt(t, `SELECT count(*) FROM outbox`); n != 0 {
		t.Errorf("a refused request queued %d emails", n)
	}
}
