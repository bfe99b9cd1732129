package handlers_test

import (
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"cpor/handlers"
	"cpor/handlers/handlertest"
	"cpor/static"
)

// The route × role access matrix (SPEC §1): one request per route and role,
// with the status each role must get. Every route the app registers must
// have at least one row, so a new route cannot ship without its access rules.
//
// Other test files of this package add their rows (and, when rows need data
// such as a claim, a setup step) from init:
//
//	func init() {
//		addAccessSetup(func(t testing.TB, env *handlertest.Env) { /* create claim 1 */ })
//		addAccessRows(
//			partnerRow(http.MethodGet, "/claims", ok),
//			accessRow{Method: http.MethodGet, Path: "/claims/1", Route: "/claims/:id",
//				Anon: toLogin, Admin: ok, User: ok, Reviewer: notFound, Operator: ok},
//		)
//	}
//
// Rows run against one app with the demo data, each (row, role) pair with a
// fresh browser, in registration order after every setup step.

// want is what one role must get.
type want struct {
	Status   int
	Location string // exact Location of a redirect; "" = not checked
	login    bool   // a 303 to the sign-in page (with ?next= for a GET)
}

// Expectations used by most rows.
var (
	ok        = want{Status: http.StatusOK}
	forbidden = want{Status: http.StatusForbidden}
	notFound  = want{Status: http.StatusNotFound}
	invalid   = want{Status: http.StatusUnprocessableEntity}
	toLogin   = want{Status: http.StatusSeeOther, login: true}
)

// redirectTo is a 303 to loc.
func redirectTo(loc string) want { return want{Status: http.StatusSeeOther, Location: loc} }

// accessRow is one request and what each role gets.
type accessRow struct {
	Method string
	Path   string     // the concrete path requested (may carry a query)
	Route  string     // the route pattern exercised; defaults to Path
	Form   url.Values // body of a POST; the client's _csrf token is added

	Anon, Admin, User, Reviewer, Operator want
}

func (r accessRow) route() string {
	if r.Route != "" {
		return r.Route
	}
	return pathOnly(r.Path)
}

func pathOnly(p string) string {
	if i := strings.IndexByte(p, '?'); i >= 0 {
		return p[:i]
	}
	return p
}

var (
	accessRows  []accessRow
	accessSetup []func(t testing.TB, env *handlertest.Env)
)

// addAccessRows adds rows to the matrix (call it from init).
func addAccessRows(rows ...accessRow) { accessRows = append(accessRows, rows...) }

// addAccessSetup adds a step run once before the rows (call it from init).
func addAccessSetup(fn func(t testing.TB, env *handlertest.Env)) {
	accessSetup = append(accessSetup, fn)
}

// anyoneRow: every role, signed in or not, gets w.
func anyoneRow(method, path string, w want) accessRow {
	return accessRow{Method: method, Path: path, Anon: w, Admin: w, User: w, Reviewer: w, Operator: w}
}

// signedInRow: anonymous people are sent to sign in, every role gets w.
func signedInRow(method, path string, w want) accessRow {
	return accessRow{Method: method, Path: path, Anon: toLogin, Admin: w, User: w, Reviewer: w, Operator: w}
}

// partnerRow: incentives admins and users get w, other roles 403.
func partnerRow(method, path string, w want) accessRow {
	return accessRow{Method: method, Path: path, Anon: toLogin, Admin: w, User: w, Reviewer: forbidden, Operator: forbidden}
}

// partnerAdminRow: incentives admins get w, other roles 403.
func partnerAdminRow(method, path string, w want) accessRow {
	return accessRow{Method: method, Path: path, Anon: toLogin, Admin: w, User: forbidden, Reviewer: forbidden, Operator: forbidden}
}

// reviewerRow: reviewers get w, other roles 403.
func reviewerRow(method, path string, w want) accessRow {
	return accessRow{Method: method, Path: path, Anon: toLogin, Admin: forbidden, User: forbidden, Reviewer: w, Operator: forbidden}
}

// operatorRow: operators get w, other roles 403.
func operatorRow(method, path string, w want) accessRow {
	return accessRow{Method: method, Path: path, Anon: toLogin, Admin: forbidden, User: forbidden, Reviewer: forbidden, Operator: w}
}

// withForm sets the body of a POST row.
func (r accessRow) withForm(v url.Values) accessRow { r.Form = v; return r }

// withRoute names the route pattern a row with a concrete path exercises.
func (r accessRow) withRoute(route string) accessRow { r.Route = route; return r }

// The foundation's routes (handlers/routes.go).
func init() {
	addAccessRows(
		anyoneRow(http.MethodGet, "/healthz", ok),
		anyoneRow(http.MethodGet, "/readyz", ok),
		anyoneRow(http.MethodGet, static.URL("css/app.css"), ok).withRoute("/static/*"),
		accessRow{Method: http.MethodGet, Path: "/", Anon: redirectTo("/login"),
			Admin: redirectTo("/dashboard"), User: redirectTo("/dashboard"),
			Reviewer: redirectTo("/review"), Operator: redirectTo("/admin/orgs")},
		accessRow{Method: http.MethodGet, Path: "/login", Anon: ok,
			Admin: redirectTo("/dashboard"), User: redirectTo("/dashboard"),
			Reviewer: redirectTo("/review"), Operator: redirectTo("/admin/orgs")},
		anyoneRow(http.MethodPost, "/login", invalid).withForm(url.Values{"email": {"nobody@example.test"}, "password": {"not-the-password"}}),
		anyoneRow(http.MethodPost, "/logout", redirectTo("/login")),
		anyoneRow(http.MethodPost, "/lang", redirectTo("/profile")).withForm(url.Values{"lang": {"en"}, "back": {"/profile"}}),
		anyoneRow(http.MethodGet, "/forgot", ok),
		anyoneRow(http.MethodPost, "/forgot", ok).withForm(url.Values{"email": {"nobody@example.test"}}),
		anyoneRow(http.MethodGet, "/account/password/no-such-token", notFound).withRoute("/account/password/:token"),
		anyoneRow(http.MethodPost, "/account/password/no-such-token", notFound).withRoute("/account/password/:token").
			withForm(url.Values{"password": {"a-long-enough-password"}, "confirm": {"a-long-enough-password"}}),

		signedInRow(http.MethodGet, "/profile", ok),
		signedInRow(http.MethodPost, "/profile", redirectTo("/profile")).withForm(url.Values{"name": {"Access Matrix"}, "language": {"en"}}),
		signedInRow(http.MethodPost, "/profile/password", invalid).withForm(url.Values{"current": {""}, "new": {"short"}, "confirm": {"short"}}),

		partnerRow(http.MethodGet, "/dashboard", ok),
		reviewerRow(http.MethodGet, "/review", ok),
		operatorRow(http.MethodGet, "/admin", redirectTo("/admin/orgs")),
	)
}

type matrixRole struct {
	name  string
	email string // "" for anonymous
	want  func(accessRow) want
}

var matrixRoles = []matrixRole{
	{"anonymous", "", func(r accessRow) want { return r.Anon }},
	{"incentives admin", handlertest.AdminEmail, func(r accessRow) want { return r.Admin }},
	{"incentives user", handlertest.UserEmail, func(r accessRow) want { return r.User }},
	{"reviewer", handlertest.ReviewerEmail, func(r accessRow) want { return r.Reviewer }},
	{"operator", handlertest.OperatorEmail, func(r accessRow) want { return r.Operator }},
}

func TestAccessMatrix(t *testing.T) {
	t.Parallel()
	env := handlertest.New(t, handlertest.WithConfig(func(c *handlers.Config) {
		// The matrix signs in hundreds of times from one address.
		c.LoginFailuresPerAccount, c.LoginFailuresPerAddress, c.LinkRequestsPerMinute = 10000, 10000, 10000
	}))
	env.RunWorker(t) // /readyz wants a recent worker pass

	// Every registered route has rows; every row names a registered route.
	registered := map[string]bool{}
	for _, r := range env.App.HTTP.Routes() {
		if r.Method != echo.RouteNotFound {
			registered[r.Method+" "+r.Path] = true
		}
	}
	covered := map[string]bool{}
	for _, row := range accessRows {
		key := row.Method + " " + row.route()
		covered[key] = true
		if !registered[key] {
			t.Errorf("access row %s %s names route %q, which is not registered", row.Method, row.Path, row.route())
		}
	}
	var missing []string
	for key := range registered {
		if !covered[key] {
			missing = append(missing, key)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("%d routes have no rows in the access matrix; add them with addAccessRows in the test file of their area:\n  %s",
			len(missing), strings.Join(missing, "\n  "))
	}

	for _, fn := range accessSetup {
		fn(t, env)
	}
	for _, row := range accessRows {
		for _, role := range matrixRoles {
			w := role.want(row)
			t.Run(fmt.Sprintf("%s %s as %s", row.Method, row.Path, role.name), func(t *testing.T) {
				if w.Status == 0 {
					t.Fatalf("row %s %s has no expectation for %s", row.Method, row.Path, role.name)
				}
				c := env.NewClient(t)
				if role.email != "" {
					c.LoginAs(role.email)
				}
				var r *handlertest.Response
				switch row.Method {
				case http.MethodGet:
					r = c.Get(row.Path)
				case http.MethodPost:
					form := url.Values{}
					for k, v := range row.Form {
						form[k] = v
					}
					form.Set("_csrf", c.CSRF("/forgot"))
					r = c.PostFormRaw(row.Path, form)
				default:
					r = c.Do(c.NewRequest(row.Method, row.Path, nil))
				}
				handlertest.WantStatus(t, r, w.Status)
				loc := w.Location
				if w.login {
					loc = "/login"
					if row.Method == http.MethodGet {
						loc += "?next=" + url.QueryEscape(row.Path)
					}
				}
				if loc != "" && r.Location() != loc {
					t.Errorf("Location %q, want %q", r.Location(), loc)
				}
				if w.Status >= 400 && !strings.HasPrefix(r.Header.Get("Content-Type"), "text/html") {
					t.Errorf("a %d must be an HTML page, got %q: %.200s", w.Status, r.Header.Get("Content-Type"), r.Body)
				}
			})
		}
	}
}
