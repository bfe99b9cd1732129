package browser_test

import (
	"cpor/models"
)

// SignIn opens the sign-in page and signs in (see SignInHere).
func (tb *Tab) SignIn(email string) {
	tb.t().Helper()
	tb.Open("/login")
	tb.SignInHere(email)
}

// SignInHere signs in on the sign-in page the browser shows, after
// switching it to the person's language if that is not English. The page
// after it must answer 200.
func (tb *Tab) SignInHere(email string) {
	tb.t().Helper()
	if tb.lang == "hu" {
		tb.Press("Magyar")
	}
	tb.Fill("id:field.email", email) // "Email"
	tb.Fill("id:field.password", models.DemoPassword)
	tb.Press("id:auth.sign_in")
}
