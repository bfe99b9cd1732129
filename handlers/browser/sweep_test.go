package browser_test

import (
	"context"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	ht "cpor/handlers/handlertest"
	"cpor/models"
)

// notPages are the GET routes that answer something other than an HTML
// page; the sweep checks that they do not answer HTML.
var notPages = map[string]string{
	"/healthz":                       "plain-text health check",
	"/readyz":                        "plain-text readiness check",
	"/static/*":                      "stylesheet, script and images",
	"/claims/export.csv":             "CSV download",
	"/admin/audit/export.csv":        "CSV download",
	"/admin/directory/template.csv":  "CSV download",
	"/claims/:id/files/:file":        "an uploaded proof-of-execution file",
	"/review/claims/:id/files/:file": "an uploaded proof-of-execution file",
	"/admin/claims/:id/files/:file":  "an uploaded proof-of-execution file",
}

// visit is one page the sweep opens as someone.
type visit struct {
	path string
	want int
}

func ok(path string) visit               { return visit{path, http.StatusOK} }
func status(path string, code int) visit { return visit{path, code} }

// world holds the objects the sweep's parameterised pages show: a claim in
// every state, customer links in every state, and the operator's objects.
type world struct {
	draft, submitted, review, actionRequired, consent, official int64
	rejected, disputed, withdrawn, ended, optedOut, competing   int64

	linkPending, linkReplaced, linkOfficial, linkOptedOut, linkEnded string
	passwordLink                                                     string

	contoso, contosoLoc, userID, reviewerID, contactID, mailID int64
	holiday                                                    string
}

// seedWorld makes the world over HTTP (fast; the journeys walk these steps
// in the browser).
func seedWorld(t *testing.T, env *ht.Env) *world {
	t.Helper()
	sd := newSeeder(t, env)
	w := &world{}
	rev := sd.reviewer

	w.draft = sd.m365(sd.user, "1000001", "Contoso Customer — Exchange (draft)", "Exchange Online")

	w.submitted = sd.bizApps(sd.admin, "1000001", "Contoso Customer — Business Central", "Business Central", "22222222-2222-4222-8222-222222222222")
	sd.submitted(sd.admin, w.submitted)

	w.review = sd.m365(sd.user, "1000001", "Contoso Customer — SharePoint", "SharePoint Online")
	sd.underReview(sd.admin, w.review)

	w.actionRequired = sd.m365(sd.user, "1000001", "Contoso Customer — OneDrive", "OneDrive for Business")
	sd.underReview(sd.admin, w.actionRequired)
	sd.act(rev, reviewBase(w.actionRequired), "request_info", url.Values{"reasons": {"missing_ack", "old_dates"}, "note": {"Please add a dated acknowledgment."}})

	w.consent = sd.m365(sd.user, "1000001", "Contoso Customer — Teams", "Microsoft Teams")
	w.linkReplaced = sd.approved(sd.admin, w.consent)
	sd.act(rev, reviewBase(w.consent), "resend_consent", nil)
	w.linkPending = sd.consentLink(w.consent, customerEN)

	w.official = sd.bizApps(sd.user, "1000001", "Contoso Customer — Dynamics 365 Sales", "Dynamics 365 Sales", salesSub)
	w.linkOfficial = sd.official(sd.admin, w.official)

	w.rejected = sd.m365(sd.user, "1000001", "Contoso Customer — Yammer", "Yammer")
	sd.underReview(sd.admin, w.rejected)
	sd.act(rev, reviewBase(w.rejected), "reject", url.Values{"reason": {"insufficient_poe"}, "note": {"The acknowledgment is not signed."}})

	w.disputed = sd.m365(sd.user, "1000001", "Contoso Customer — Intune", "Microsoft Intune")
	sd.underReview(sd.admin, w.disputed)
	sd.act(rev, reviewBase(w.disputed), "reject", url.Values{"reason": {"missing_products"}})
	page := sd.admin.Get(base(w.disputed))
	version, _ := page.Doc().Find(`input[name=version]`).First().Attr("value")
	r := sd.admin.PostMultipart(base(w.disputed)+"/dispute", url.Values{"version": {version}, "justification": {"Intune was deployed in March; see the new file."}},
		ht.File{Field: "files", Name: "intune-deployment.pdf", Content: pdf})
	ht.WantStatus(t, r, 303)

	w.withdrawn = sd.m365(sd.user, "1000001", "Contoso Customer — Azure AD", "Azure AD Premium")
	sd.submitted(sd.admin, w.withdrawn)
	sd.confirmed(sd.admin, w.withdrawn, "withdraw")

	w.ended = sd.m365(sd.user, "1000001", "Contoso Customer — Microsoft 365 Apps", "Microsoft 365 Apps")
	w.linkEnded = sd.official(sd.admin, w.ended)
	sd.confirmed(sd.admin, w.ended, "end")

	w.optedOut = sd.m365(sd.user, "1000001", "Contoso Customer — Defender", "Microsoft Defender")
	w.linkOptedOut = sd.approved(sd.admin, w.optedOut)
	sd.visitor.Get(w.linkOptedOut)
	ht.WantStatus(t, sd.visitor.PostForm(w.linkOptedOut+"/opt-out", url.Values{"reason": {"Not our partner."}}), 200)

	// Fabrikam claims the subscription Contoso holds: competing.
	w.competing = sd.bizApps(sd.fab, "2000001", "Fabrikam — Dynamics 365 Sales", "Dynamics 365 Sales", salesSub)
	sd.underReview(sd.fab, w.competing)
	sd.act(rev, reviewBase(w.competing), "request_info", url.Values{"reasons": {"missing_all_poe"}})
	sd.upload(sd.fab, w.competing, "fabrikam-more.pdf")
	sd.act(sd.fab, base(w.competing), "resubmit", nil)

	// A set-password link, as "Forgot password?" emails it.
	sd.visitor.Get("/forgot")
	ht.WantStatus(t, sd.visitor.PostForm("/forgot", url.Values{"email": {ht.UserEmail}}), 200)
	w.passwordLink = ht.LinkIn(env.WaitForMail(t, func(m ht.Msg) bool {
		return m.SentTo(ht.UserEmail) && ht.LinkIn(m, "/account/password/") != ""
	}), "/account/password/")

	num := func(q string, args ...any) int64 { return env.QueryInt(t, q, args...) }
	w.contoso = num(`SELECT id FROM organisations WHERE name = 'Contoso Partners'`)
	w.contosoLoc = num(`SELECT id FROM locations WHERE mpn_id = '1000001'`)
	w.userID = env.UserID(t, ht.UserEmail)
	w.reviewerID = env.UserID(t, ht.ReviewerEmail)
	w.contactID = num(`SELECT id FROM tenant_contacts WHERE email = ?`, customerEN)
	w.mailID = num(`SELECT max(id) FROM outbox`)
	w.holiday = "2026-12-24"
	if err := env.App.Store.AddHoliday(context.Background(), models.Actor{Label: "seed"}, time.Date(2026, time.December, 24, 0, 0, 0, 0, time.UTC), "Christmas Eve"); err != nil {
		t.Fatal(err)
	}
	return w
}

func id(n int64) string { return strconv.FormatInt(n, 10) }

// sweeper is someone the sweep signs in as, with the pages they open.
type sweeper struct {
	who    string
	email  string // "" for someone not signed in
	visits []visit
}

// sweepPlan is every page the sweep opens, by test: public and customer
// pages, each partner role, the reviewer, the operator.
func sweepPlan(w *world) map[string][]sweeper {
	tenant := "/admin/directory/" + demoTenant
	org := "/admin/orgs/" + id(w.contoso)
	return map[string][]sweeper{
		"public": {
			{"visitor", "", []visit{
				ok("/"), ok("/login"), ok("/forgot"), ok(w.passwordLink), status("/account/password/not-a-real-link", 404),
				ok("/c/new"), ok("/claims"), // → the sign-in page, to come back after it
			}},
			{"customer", "", []visit{
				ok(w.linkPending), status(w.linkReplaced, 200), ok(w.linkOfficial), ok(w.linkOfficial + "/end"),
				ok(w.linkOptedOut), ok(w.linkEnded), status("/c/not-a-real-link", 404),
			}},
		},
		"user": {
			{"user", ht.UserEmail, []visit{
				ok("/"), ok("/dashboard"), ok("/claims"), ok("/claims?status=editing&q=Contoso"), ok("/claims/new"),
				ok("/claims/new?program=1"), ok("/claims/new?program=2"), ok("/claims/new?program=3"),
				ok(base(w.draft)), ok(base(w.draft) + "/edit"), ok(base(w.draft) + "/confirm/delete"), ok(base(w.draft) + "/poe-template"),
				ok(base(w.consent)), ok(base(w.actionRequired)), ok(base(w.optedOut)),
				ok("/org/locations"), ok("/profile"), ok("/help"), ok("/help/create"), ok("/help/manage"), ok("/help/issues"),
				status("/review", 403), status("/claims/999999", 404), status("/org/users", 403),
			}},
		},
		"admin": {
			{"admin", ht.AdminEmail, []visit{
				ok("/dashboard"), ok("/claims"),
				ok(base(w.submitted)), ok(base(w.submitted) + "/edit"), ok(base(w.submitted) + "/confirm/withdraw"),
				ok(base(w.review)), ok(base(w.actionRequired)), ok(base(w.actionRequired) + "/edit"),
				ok(base(w.official)), ok(base(w.official) + "/confirm/end"), ok(base(w.official) + "/poe-template"),
				status(base(w.official)+"/edit", 409),
				ok(base(w.rejected)), ok(base(w.disputed)), ok(base(w.withdrawn)), ok(base(w.ended)),
				ok("/org/users"), ok("/org/users/new"), ok("/org/users/" + id(w.userID)), ok("/org/users/" + id(w.userID) + "/disable"),
				ok("/org/locations"), ok("/profile"), ok("/help"),
			}},
			{"fabrikam-admin", ht.OtherAdminEmail, []visit{
				ok("/dashboard"), ok(base(w.competing)), status(base(w.official), 404),
			}},
		},
		"reviewer": {
			{"reviewer", ht.ReviewerEmail, []visit{
				ok("/"), ok("/review"), ok("/review?status=submitted"), ok("/review?competing=1"), ok("/review?q=Contoso&program=2"),
				ok(reviewBase(w.submitted)), ok(reviewBase(w.review)), ok(reviewBase(w.actionRequired)), ok(reviewBase(w.competing)),
				ok(reviewBase(w.consent)), ok(reviewBase(w.official)), ok(reviewBase(w.rejected)), ok(reviewBase(w.disputed)),
				status(reviewBase(w.draft), 404), ok("/profile"), ok("/help"), status("/admin/orgs", 403),
			}},
		},
		"operator": {
			{"operator", ht.OperatorEmail, []visit{
				ok("/"), ok("/admin"), ok("/admin/orgs"), ok("/admin/orgs?q=Contoso"), ok("/admin/orgs/new"), ok(org), ok(org + "/edit"),
				ok(org + "/disable"), ok(org + "/locations/new"), ok(org + "/locations/" + id(w.contosoLoc)), ok(org + "/invite"),
				ok("/admin/users"), ok("/admin/users/new"), ok("/admin/users/" + id(w.reviewerID)), ok("/admin/users/" + id(w.reviewerID) + "/disable"),
				ok("/admin/refdata"),
				ok("/admin/directory"), ok("/admin/directory?q=contoso"), ok("/admin/directory/new"), ok("/admin/directory/import"),
				ok(tenant), ok(tenant + "?contact=" + id(w.contactID)), ok(tenant + "?sub=" + salesSub),
				ok(tenant + "/domains/remove?domain=" + demoDomain), ok(tenant + "/contacts/" + id(w.contactID) + "/remove"),
				ok("/admin/holidays"), ok("/admin/holidays?past=1"), ok("/admin/holidays/" + w.holiday + "/remove"),
				ok("/admin/mail"), ok("/admin/mail/" + id(w.mailID)), ok("/admin/audit"),
				ok("/admin/claims"), ok("/admin/claims/" + id(w.official)), ok("/admin/claims/" + id(w.competing)),
				ok("/profile"), ok("/help"), status("/dashboard", 403),
			}},
		},
	}
}

// The sweep: every GET page of the route table, as each role, with seeded
// objects for the parameterised ones. Each page goes through the checks of
// visited (status, axe-core, console, foreign hosts, no sideways scrolling
// at 375 px) and the test's Nu HTML checker run. One test per part, so the
// parts run side by side.
func TestSweepPublicPages(t *testing.T)   { t.Parallel(); sweep(t, "public") }
func TestSweepUserPages(t *testing.T)     { t.Parallel(); sweep(t, "user") }
func TestSweepAdminPages(t *testing.T)    { t.Parallel(); sweep(t, "admin") }
func TestSweepReviewerPages(t *testing.T) { t.Parallel(); sweep(t, "reviewer") }
func TestSweepOperatorPages(t *testing.T) { t.Parallel(); sweep(t, "operator") }

func sweep(t *testing.T, part string) {
	s := newSession(t)
	w := seedWorld(t, s.Env)
	pages := 0
	for _, who := range sweepPlan(w)[part] {
		tb := s.Person(who.who)
		if who.email != "" {
			tb.SignIn(who.email)
		}
		for _, v := range who.visits {
			tb.OpenWant(v.path, v.want)
			pages++
		}
	}
	t.Logf("the sweep checked %d pages of %s", pages, part)
}

// TestSweepCoversEveryRoute reads the route table from the app: every GET
// route is a page the sweep opens, or is listed in notPages and indeed
// answers something other than HTML. A new page the sweep does not open
// fails here.
func TestSweepCoversEveryRoute(t *testing.T) {
	t.Parallel()
	env := ht.New(t)
	w := seedWorld(t, env)
	e := env.App.HTTP
	opened := map[string]bool{}
	pages := 0
	for _, part := range sweepPlan(w) {
		for _, who := range part {
			for _, v := range who.visits {
				opened[routeOf(t, e, v.path)] = true
				pages++
			}
		}
	}
	var missing []string
	for _, r := range e.Routes() {
		if r.Method != http.MethodGet {
			continue
		}
		if _, skip := notPages[r.Path]; skip {
			continue
		}
		if !opened[r.Path] {
			missing = append(missing, r.Path)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("the sweep opens no page of these GET routes (add a visit, or list the route in notPages if it is not HTML):\n  %s", strings.Join(missing, "\n  "))
	}
	for route := range notPages {
		found := false
		for _, r := range e.Routes() {
			found = found || (r.Method == http.MethodGet && r.Path == route)
		}
		if !found {
			t.Errorf("notPages lists %s, which is not a GET route any more", route)
		}
	}
	checkNotPages(t, env, w)
	t.Logf("the sweep opens %d pages of %d routes", pages, len(opened))
}

// routeOf is the route pattern the app's router matches for a path.
func routeOf(t *testing.T, e *echo.Echo, path string) string {
	t.Helper()
	u, err := url.Parse(path)
	if err != nil {
		t.Fatal(err)
	}
	c := e.NewContext(nil, nil)
	e.Router().Find(http.MethodGet, u.Path, c)
	return c.Path()
}

// checkNotPages fetches the routes that are not pages and checks that they
// indeed answer something other than HTML.
func checkNotPages(t *testing.T, env *ht.Env, w *world) {
	t.Helper()
	user := env.NewClient(t)
	user.LoginAs(ht.UserEmail)
	op := env.NewClient(t)
	op.LoginAs(ht.OperatorEmail)
	rev := env.NewClient(t)
	rev.LoginAs(ht.ReviewerEmail)
	file := id(env.QueryInt(t, `SELECT min(id) FROM claim_files WHERE claim_id = ?`, w.official))
	for _, f := range []struct {
		c    *ht.Client
		path string
	}{
		{user, "/healthz"}, {user, "/readyz"}, {user, "/claims/export.csv"}, {op, "/admin/audit/export.csv"},
		{op, "/admin/directory/template.csv"}, {user, base(w.official) + "/files/" + file},
		{rev, reviewBase(w.official) + "/files/" + file}, {op, "/admin/claims/" + id(w.official) + "/files/" + file},
	} {
		r := f.c.Get(f.path)
		if r.StatusCode != http.StatusOK || strings.HasPrefix(r.Header.Get("Content-Type"), "text/html") {
			t.Errorf("%s: status %d, Content-Type %q: listed as not a page, but it answers like one", f.path, r.StatusCode, r.Header.Get("Content-Type"))
		}
	}
}
