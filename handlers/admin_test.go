package handlers_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"cpor/handlers/handlertest"
	"cpor/models"
)

// The operator pages' rows of the access matrix, and the objects they act on.
// The setup runs right after the demo data (access_test.go has none), so
// the IDs below are known; it checks them and fails loudly if they moved.
const (
	admMatrixOrg     = "3"  // "Matrix Partners": disabled and enabled by the rows
	admMatrixProduct = "24" // "Matrix Workload": retired and reinstated
	admMatrixContact = "4"  // a contact of admMatrixTenant, removed by a row
	admMatrixTenant  = "0a0a0a0a-0000-4000-8000-00000000000a"
	admMatrixMail    = "1" // the invitation of Matrix Partners' admin
	contosoUser      = "2" // user@contoso-partner.test
	contosoAdmin     = "1" // admin@contoso-partner.test, the only admin of Contoso
	fabrikamAdmin    = "3" // admin@fabrikam-partner.test
	reviewerID       = "4"
	operatorID       = "5" // the only operator
)

func init() {
	addAccessSetup(admMatrixSetup)
	const o = "/admin/orgs/"
	const d = "/admin/directory/"
	addAccessRows(
		operatorRow(http.MethodGet, "/admin/orgs", ok),
		operatorRow(http.MethodGet, "/admin/orgs?q=contoso", ok),
		operatorRow(http.MethodGet, "/admin/orgs/new", ok),
		operatorRow(http.MethodPost, "/admin/orgs", invalid).withForm(url.Values{"name": {""}, "language": {"en"}}),
		operatorRow(http.MethodGet, o+"1", ok).withRoute(o+":id"),
		operatorRow(http.MethodGet, o+"999", notFound).withRoute(o+":id"),
		operatorRow(http.MethodGet, o+"1/edit", ok).withRoute(o+":id/edit"),
		operatorRow(http.MethodPost, o+"1/edit", invalid).withRoute(o+":id/edit").withForm(url.Values{"name": {""}, "language": {"en"}}),
		operatorRow(http.MethodGet, o+admMatrixOrg+"/disable", ok).withRoute(o+":id/disable"),
		operatorRow(http.MethodPost, o+admMatrixOrg+"/disable", redirectTo(o+admMatrixOrg)).withRoute(o+":id/disable"),
		operatorRow(http.MethodPost, o+admMatrixOrg+"/enable", redirectTo(o+admMatrixOrg)).withRoute(o+":id/enable"),
		operatorRow(http.MethodGet, o+"1/locations/new", ok).withRoute(o+":id/locations/new"),
		operatorRow(http.MethodPost, o+"1/locations", invalid).withRoute(o+":id/locations").withForm(url.Values{"mpn_id": {"12ab"}}),
		operatorRow(http.MethodGet, o+"1/locations/1", ok).withRoute(o+":id/locations/:loc"),
		operatorRow(http.MethodGet, o+"2/locations/1", notFound).withRoute(o+":id/locations/:loc"),
		operatorRow(http.MethodPost, o+"1/locations/1", redirectTo(o+"1")).withRoute(o+":id/locations/:loc").
			withForm(url.Values{"name": {"Contoso Partners Budapest"}, "programs": {"1", "2", "3"}}),
		operatorRow(http.MethodGet, o+"1/invite", ok).withRoute(o+":id/invite"),
		operatorRow(http.MethodPost, o+"1/invite", invalid).withRoute(o+":id/invite").withForm(url.Values{"email": {"not-an-email"}}),

		operatorRow(http.MethodGet, "/admin/users", ok),
		operatorRow(http.MethodGet, "/admin/users/new", ok),
		operatorRow(http.MethodPost, "/admin/users", invalid).withForm(url.Values{"email": {""}, "role": {"reviewer"}}),
		operatorRow(http.MethodGet, "/admin/users/"+reviewerID, ok).withRoute("/admin/users/:id"),
		operatorRow(http.MethodGet, "/admin/users/"+contosoAdmin, notFound).withRoute("/admin/users/:id"),
		operatorRow(http.MethodPost, "/admin/users/"+reviewerID+"/link", redirectTo("/admin/users/"+reviewerID)).withRoute("/admin/users/:id/link"),
		operatorRow(http.MethodGet, "/admin/users/"+reviewerID+"/disable", ok).withRoute("/admin/users/:id/disable"),
		// The only operator: refused (last operator), nothing changes.
		operatorRow(http.MethodPost, "/admin/users/"+operatorID+"/disable", redirectTo("/admin/users/"+operatorID)).withRoute("/admin/users/:id/disable"),
		operatorRow(http.MethodPost, "/admin/users/"+reviewerID+"/enable", redirectTo("/admin/users/"+reviewerID)).withRoute("/admin/users/:id/enable"),

		operatorRow(http.MethodGet, "/admin/refdata", ok),
		operatorRow(http.MethodPost, "/admin/refdata/program", invalid).withRoute("/admin/refdata/:kind").withForm(url.Values{"program_name": {""}}),
		operatorRow(http.MethodPost, "/admin/refdata/product/"+admMatrixProduct+"/retire", redirectTo("/admin/refdata")).withRoute("/admin/refdata/:kind/:id/retire"),
		operatorRow(http.MethodPost, "/admin/refdata/product/"+admMatrixProduct+"/reinstate", redirectTo("/admin/refdata")).withRoute("/admin/refdata/:kind/:id/reinstate"),

		operatorRow(http.MethodGet, "/admin/directory", ok),
		operatorRow(http.MethodGet, "/admin/directory?q=northwind", ok),
		operatorRow(http.MethodGet, "/admin/directory/new", ok),
		operatorRow(http.MethodPost, "/admin/directory", invalid).withForm(url.Values{"tenant_id": {"nope"}, "tenant_name": {""}}),
		operatorRow(http.MethodGet, "/admin/directory/import", ok),
		operatorRow(http.MethodPost, "/admin/directory/import", invalid), // no file
		operatorRow(http.MethodGet, "/admin/directory/template.csv", ok),
		operatorRow(http.MethodGet, d+admMatrixTenant, ok).withRoute(d+":tenant"),
		operatorRow(http.MethodGet, d+"not-a-guid", notFound).withRoute(d+":tenant"),
		operatorRow(http.MethodPost, d+admMatrixTenant, invalid).withRoute(d+":tenant").withForm(url.Values{"tenant_name": {""}}),
		operatorRow(http.MethodPost, d+admMatrixTenant+"/domains", invalid).withRoute(d+":tenant/domains").withForm(url.Values{"domain": {"not a domain"}}),
		operatorRow(http.MethodGet, d+admMatrixTenant+"/domains/remove?domain=matrix-tenant.test", ok).withRoute(d+":tenant/domains/remove"),
		operatorRow(http.MethodPost, d+admMatrixTenant+"/domains/remove", redirectTo(d+admMatrixTenant)).withRoute(d+":tenant/domains/remove").
			withForm(url.Values{"domain": {"matrix-tenant.test"}}),
		operatorRow(http.MethodPost, d+admMatrixTenant+"/contacts", invalid).withRoute(d+":tenant/contacts").withForm(url.Values{"contact_email": {"x"}}),
		operatorRow(http.MethodGet, d+admMatrixTenant+"/contacts/"+admMatrixContact+"/remove", ok).withRoute(d+":tenant/contacts/:contact/remove"),
		operatorRow(http.MethodPost, d+admMatrixTenant+"/contacts/"+admMatrixContact+"/remove", redirectTo(d+admMatrixTenant)).withRoute(d+":tenant/contacts/:contact/remove"),
		operatorRow(http.MethodPost, d+admMatrixTenant+"/subscriptions", invalid).withRoute(d+":tenant/subscriptions").withForm(url.Values{"sub_id": {"x"}}),

		operatorRow(http.MethodGet, "/admin/holidays", ok),
		operatorRow(http.MethodGet, "/admin/holidays?past=1", ok),
		operatorRow(http.MethodPost, "/admin/holidays", invalid).withForm(url.Values{"day": {"31/12/2026"}, "holiday_name": {"New Year's Eve"}}),
		operatorRow(http.MethodGet, "/admin/holidays/2026-12-25/remove", ok).withRoute("/admin/holidays/:day/remove"),
		operatorRow(http.MethodPost, "/admin/holidays/2026-12-25/remove", redirectTo("/admin/holidays")).withRoute("/admin/holidays/:day/remove"),

		operatorRow(http.MethodGet, "/admin/mail", ok),
		operatorRow(http.MethodGet, "/admin/mail?state=failed&to=contoso", ok),
		operatorRow(http.MethodGet, "/admin/mail/"+admMatrixMail, ok).withRoute("/admin/mail/:id"),
		operatorRow(http.MethodGet, "/admin/mail/999", notFound).withRoute("/admin/mail/:id"),
		// Not failed: nothing to resend, back to the message.
		operatorRow(http.MethodPost, "/admin/mail/"+admMatrixMail+"/resend", redirectTo("/admin/mail/"+admMatrixMail)).withRoute("/admin/mail/:id/resend"),

		operatorRow(http.MethodGet, "/admin/audit", ok),
		operatorRow(http.MethodGet, "/admin/audit?kind=user.&from=2026-01-01&to=2026-12-31", ok),
		operatorRow(http.MethodGet, "/admin/audit/export.csv", ok),
	)
}

func admMatrixSetup(t testing.TB, env *handlertest.Env) {
	ctx := context.Background()
	s := env.App.Store
	a := models.Actor{Label: "matrix setup"}
	orgID, err := s.CreatePartnerOrganisation(ctx, a, nil, models.NewOrganisation{
		OrgDetails: models.OrgDetails{Name: "Matrix Partners", Language: "en"}, AdminEmail: "admin@matrix-partner.test"})
	if err != nil {
		t.Fatal(err)
	}
	productID, err := s.AddRefData(ctx, a, models.RefProduct, models.RefInput{Name: "Matrix Workload", Area: models.AreaM365})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateTenant(ctx, a, admMatrixTenant, "Matrix Tenant Ltd"); err != nil {
		t.Fatal(err)
	}
	if err := s.AddTenantDomain(ctx, a, admMatrixTenant, "matrix-tenant.test"); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveTenantContact(ctx, a, admMatrixTenant, models.ContactInput{Email: "it@matrix-tenant.test", Language: "en"}); err != nil {
		t.Fatal(err)
	}
	if err := s.AddHoliday(ctx, a, time.Date(2026, time.December, 25, 0, 0, 0, 0, time.UTC), "Christmas Day"); err != nil {
		t.Fatal(err)
	}
	for what, pair := range map[string][2]string{
		"Matrix Partners":           {fmt.Sprint(orgID), admMatrixOrg},
		"Matrix Workload":           {fmt.Sprint(productID), admMatrixProduct},
		"the Matrix Tenant contact": {fmt.Sprint(env.QueryInt(t, `SELECT id FROM tenant_contacts WHERE email = 'it@matrix-tenant.test'`)), admMatrixContact},
		"the invitation":            {fmt.Sprint(env.QueryInt(t, `SELECT min(id) FROM outbox`)), admMatrixMail},
		handlertest.UserEmail:       {fmt.Sprint(env.UserID(t, handlertest.UserEmail)), contosoUser},
		handlertest.AdminEmail:      {fmt.Sprint(env.UserID(t, handlertest.AdminEmail)), contosoAdmin},
		handlertest.OtherAdminEmail: {fmt.Sprint(env.UserID(t, handlertest.OtherAdminEmail)), fabrikamAdmin},
		handlertest.ReviewerEmail:   {fmt.Sprint(env.UserID(t, handlertest.ReviewerEmail)), reviewerID},
		handlertest.OperatorEmail:   {fmt.Sprint(env.UserID(t, handlertest.OperatorEmail)), operatorID},
	} {
		if pair[0] != pair[1] {
			t.Fatalf("access matrix setup: %s has ID %s, the rows expect %s (did another setup run first?)", what, pair[0], pair[1])
		}
	}
}

// admFollow GETs where a 303 leads.
func admFollow(t *testing.T, c *handlertest.Client, r *handlertest.Response) *handlertest.Response {
	t.Helper()
	handlertest.WantStatus(t, r, http.StatusSeeOther)
	return c.Get(r.Location())
}

// admFlashText is the page's flash messages.
func admFlashText(r *handlertest.Response) string {
	return strings.TrimSpace(r.Doc().Find(".flash").Text())
}

// admFieldError is the message next to a field.
func admFieldError(r *handlertest.Response, name string) string {
	return strings.TrimSpace(r.Doc().Find("#f-" + name + "-error").Text())
}

// admValue is the value an input shows.
func admValue(r *handlertest.Response, name string) string {
	v, _ := r.Doc().Find(`input[name="` + name + `"]`).Attr("value")
	return v
}

func admOperator(t *testing.T, env *handlertest.Env) *handlertest.Client {
	t.Helper()
	c := env.NewClient(t)
	c.LoginAs(handlertest.OperatorEmail)
	return c
}

// admSetPassword uses an emailed set-password link and signs in with it.
func admSetPassword(t *testing.T, env *handlertest.Env, link, email string) {
	t.Helper()
	c := env.NewClient(t)
	page := c.Get(link)
	handlertest.WantStatus(t, page, http.StatusOK)
	r := c.Submit(page, "main form", url.Values{"password": {"a-brand-new-password"}, "confirm": {"a-brand-new-password"}})
	handlertest.WantRedirect(t, r, "/login")
	c.Login(email, "a-brand-new-password")
}

func TestOperatorCreatesAnOrganisationWithItsFirstAdmin(t *testing.T) {
	t.Parallel()
	env := handlertest.New(t)
	op := admOperator(t, env)

	form := op.Get("/admin/orgs/new")
	handlertest.WantStatus(t, form, http.StatusOK)
	// Bad input: messages next to the fields, what was typed kept.
	r := op.Submit(form, `form[action="/admin/orgs"]`, url.Values{"name": {"contoso partners"}, "admin_email": {"not an email"}, "admin_name": {"Ada Admin"}})
	handlertest.WantStatus(t, r, http.StatusUnprocessableEntity)
	if got := admFieldError(r, "name"); got != "There is already an organisation with this name." && got != "" {
		t.Errorf("name message %q", got)
	}
	if got := admFieldError(r, "admin_email"); got != "Enter an email address." {
		t.Errorf("admin email message %q", got)
	}
	if admValue(r, "admin_email") != "not an email" || admValue(r, "admin_name") != "Ada Admin" || admValue(r, "name") != "contoso partners" {
		t.Errorf("typed values not kept")
	}
	r = op.Submit(r, `form[action="/admin/orgs"]`, url.Values{"admin_email": {"ada@northwind-partner.test"}})
	handlertest.WantStatus(t, r, http.StatusUnprocessableEntity)
	if got := admFieldError(r, "name"); got != "There is already an organisation with this name." {
		t.Errorf("duplicate name message %q", got)
	}
	if n := env.QueryInt(t, `SELECT count(*) FROM users WHERE email = 'ada@northwind-partner.test'`); n != 0 {
		t.Errorf("a refused organisation left its admin behind")
	}

	r = op.Submit(r, `form[action="/admin/orgs"]`, url.Values{"name": {"Northwind Partners"}, "language": {"hu"}})
	page := admFollow(t, op, r)
	handlertest.WantStatus(t, page, http.StatusOK)
	if !strings.Contains(admFlashText(page), "Northwind Partners is created. An invitation is on its way to ada@northwind-partner.test.") {
		t.Errorf("flash %q", admFlashText(page))
	}
	if got := page.Doc().Find(`[data-testid="org-users"]`).Text(); !strings.Contains(got, "ada@northwind-partner.test") || !strings.Contains(got, "Invited") {
		t.Errorf("people table %q", got)
	}
	if page.Doc().Find(`[data-testid="no-locations"]`).Length() != 1 {
		t.Error("a new organisation should say it has no locations")
	}

	// The invitation arrives in the organisation's language and works.
	msg := env.WaitForMail(t, handlertest.To("ada@northwind-partner.test"))
	if msg.Subject != "Meghívás a CPOR Claimsbe" {
		t.Errorf("invitation subject %q", msg.Subject)
	}
	link := handlertest.LinkIn(msg, "/account/password/")
	admSetPassword(t, env, link, "ada@northwind-partner.test")

	// The organisation is in the list, and the change in the audit log.
	list := op.Get("/admin/orgs?q=northwind")
	if got := list.Doc().Find(`[data-testid="orgs"] tbody tr`).Length(); got != 1 {
		t.Errorf("search found %d organisations", got)
	}
	if n := env.QueryInt(t, `SELECT count(*) FROM audit_log WHERE kind = 'org.create' AND actor = ?`, handlertest.OperatorEmail); n != 1 {
		t.Errorf("%d org.create audit rows", n)
	}
}

func TestLocationMPNIDMustBeDigitsAndUnique(t *testing.T) {
	t.Parallel()
	env := handlertest.New(t)
	op := admOperator(t, env)
	fab := env.QueryInt(t, `SELECT id FROM organisations WHERE name = 'Fabrikam Services'`)
	base := fmt.Sprintf("/admin/orgs/%d", fab)
	form := op.Get(base + "/locations/new")
	handlertest.WantStatus(t, form, http.StatusOK)

	for typed, want := range map[string]string{
		"12-34":   "Enter the MPN ID as digits only (at most 12), e.g. 1234567.",
		"1000001": "This MPN ID is already a location on the platform.",
	} {
		r := op.Submit(form, "main form", url.Values{"mpn_id": {typed}, "name": {"Győr"}, "programs": {"2"}})
		handlertest.WantStatus(t, r, http.StatusUnprocessableEntity)
		if got := admFieldError(r, "mpn_id"); got != want {
			t.Errorf("MPN ID %q: message %q, want %q", typed, got, want)
		}
		if admValue(r, "mpn_id") != typed || admValue(r, "name") != "Győr" {
			t.Errorf("MPN ID %q: typed values not kept", typed)
		}
		if _, checked := r.Doc().Find(`input[name="programs"][value="2"]`).Attr("checked"); !checked {
			t.Errorf("MPN ID %q: the ticked program is not kept", typed)
		}
	}
	r := op.Submit(form, "main form", url.Values{"mpn_id": {"2000009"}, "name": {"Győr"}, "programs": {"2", "3"}})
	page := admFollow(t, op, r)
	if got := page.Doc().Find(`[data-testid="locations"]`).Text(); !strings.Contains(got, "2000009") || !strings.Contains(got, "OSU – Microsoft 365") {
		t.Errorf("locations table %q", got)
	}

	// The partner sees it read-only on their locations page.
	partner := env.NewClient(t)
	partner.LoginAs(handlertest.OtherAdminEmail)
	locs := partner.Get("/org/locations")
	handlertest.WantStatus(t, locs, http.StatusOK)
	if got := locs.Doc().Find(`[data-testid="locations"]`).Text(); !strings.Contains(got, "2000009") {
		t.Errorf("partner locations page %q", got)
	}
	if locs.Doc().Find(`main form`).Length() != 0 {
		t.Error("the partners' locations page has a form")
	}

	// Enrolments change on the edit page; the MPN ID does not.
	locID := env.QueryInt(t, `SELECT id FROM locations WHERE mpn_id = '2000009'`)
	edit := op.Get(fmt.Sprintf("%s/locations/%d", base, locID))
	handlertest.WantStatus(t, edit, http.StatusOK)
	if edit.Doc().Find(`input[name="mpn_id"]`).Length() != 0 {
		t.Error("the MPN ID is editable")
	}
	r = op.Submit(edit, "main form", url.Values{"programs": {"1"}})
	handlertest.WantRedirect(t, r, base)
	if n := env.QueryInt(t, `SELECT count(*) FROM location_programs WHERE location_id = ? AND program_id = 1`, locID); n != 1 {
		t.Error("the enrolment was not saved")
	}
	if n := env.QueryInt(t, `SELECT count(*) FROM location_programs WHERE location_id = ?`, locID); n != 1 {
		t.Errorf("%d enrolments, want 1", n)
	}
	if n := env.QueryInt(t, `SELECT count(*) FROM audit_log WHERE kind IN ('location.create','location.update') AND object = ?`, fmt.Sprintf("location:%d", locID)); n != 2 {
		t.Errorf("%d location audit rows, want 2", n)
	}
}

func TestDisablingAnOrganisationSignsItsPeopleOut(t *testing.T) {
	t.Parallel()
	env := handlertest.New(t)
	op := admOperator(t, env)
	admin := env.NewClient(t)
	admin.LoginAs(handlertest.AdminEmail)
	other := env.NewClient(t)
	other.LoginAs(handlertest.OtherAdminEmail)
	contoso := env.QueryInt(t, `SELECT id FROM organisations WHERE name = 'Contoso Partners'`)
	base := fmt.Sprintf("/admin/orgs/%d", contoso)

	// The confirmation page changes nothing.
	confirm := op.Get(base + "/disable")
	handlertest.WantStatus(t, confirm, http.StatusOK)
	handlertest.WantStatus(t, admin.Get("/dashboard"), http.StatusOK)
	r := op.Submit(confirm, `[data-testid="confirm"] form`, nil)
	page := admFollow(t, op, r)
	if page.Doc().Find(`[data-testid="org-disabled"]`).Length() != 1 {
		t.Error("the organisation page does not say it is disabled")
	}

	handlertest.WantRedirect(t, admin.Get("/dashboard"), "/login?next=%2Fdashboard")
	handlertest.WantStatus(t, other.Get("/dashboard"), http.StatusOK)
	fresh := env.NewClient(t)
	handlertest.WantStatus(t, fresh.PostForm("/login", url.Values{"email": {handlertest.UserEmail}, "password": {models.DemoPassword}}), http.StatusUnprocessableEntity)

	r = op.Submit(page, `form[action="`+base+`/enable"]`, nil)
	handlertest.WantRedirect(t, r, base)
	fresh.LoginAs(handlertest.UserEmail)
	if n := env.QueryInt(t, `SELECT count(*) FROM audit_log WHERE kind IN ('org.disable','org.enable') AND object = ?`, fmt.Sprintf("org:%d", contoso)); n != 2 {
		t.Errorf("%d audit rows for disable and enable", n)
	}
}

func TestPlatformUsers(t *testing.T) {
	t.Parallel()
	env := handlertest.New(t)
	op := admOperator(t, env)

	form := op.Get("/admin/users/new")
	r := op.Submit(form, "main form", url.Values{"email": {"reviewer@program.test"}, "name": {"Rita Again"}, "role": {"reviewer"}})
	handlertest.WantStatus(t, r, http.StatusUnprocessableEntity)
	if got := admFieldError(r, "email"); got != "This email address already has an account." {
		t.Errorf("email message %q", got)
	}
	r = op.Submit(form, "main form", url.Values{"email": {"rex@program.test"}, "role": {"incentives_admin"}})
	handlertest.WantStatus(t, r, http.StatusUnprocessableEntity)
	if got := admFieldError(r, "role"); got != "Choose one of the roles." {
		t.Errorf("role message %q", got)
	}
	r = op.Submit(form, "main form", url.Values{"email": {"rex@program.test"}, "name": {"Rex Reviewer"}, "role": {"reviewer"}})
	page := admFollow(t, op, r)
	handlertest.WantStatus(t, page, http.StatusOK)
	link := handlertest.LinkIn(env.WaitForMail(t, handlertest.To("rex@program.test")), "/account/password/")
	admSetPassword(t, env, link, "rex@program.test")

	// A password-reset link, on request of the operator.
	rex := env.NewClient(t)
	rex.Login("rex@program.test", "a-brand-new-password")
	handlertest.WantStatus(t, rex.Get("/review"), http.StatusOK)
	rexPage := op.Get(page.Request.URL.Path)
	r = op.Submit(rexPage, `form[action$="/link"]`, nil)
	if got := admFlashText(admFollow(t, op, r)); got != "A password-reset link is on its way to rex@program.test." {
		t.Errorf("flash %q", got)
	}
	if msg := env.WaitForMail(t, handlertest.To("rex@program.test")); msg.Subject != "Set a new password for CPOR Claims" {
		t.Errorf("reset subject %q", msg.Subject)
	}

	// Disabling ends their session at once.
	confirm := op.Get(rexPage.Request.URL.Path + "/disable")
	handlertest.WantStatus(t, confirm, http.StatusOK)
	r = op.Submit(confirm, `[data-testid="confirm"] form`, nil)
	handlertest.WantStatus(t, r, http.StatusSeeOther)
	handlertest.WantRedirect(t, rex.Get("/review"), "/login?next=%2Freview")

	// The last operator cannot be disabled, not even by themselves.
	opID := env.UserID(t, handlertest.OperatorEmail)
	r = op.PostForm(fmt.Sprintf("/admin/users/%d/disable", opID), nil)
	if got := admFlashText(admFollow(t, op, r)); got != "The platform keeps at least one active operator. Invite or enable another operator first." {
		t.Errorf("last operator flash %q", got)
	}
	// Partner users are not platform users.
	handlertest.WantStatus(t, op.Get(fmt.Sprintf("/admin/users/%d", env.UserID(t, handlertest.AdminEmail))), http.StatusNotFound)
}

func TestReferenceData(t *testing.T) {
	t.Parallel()
	env := handlertest.New(t)
	op := admOperator(t, env)
	page := op.Get("/admin/refdata")
	handlertest.WantStatus(t, page, http.StatusOK)

	r := op.Submit(page, `form[action="/admin/refdata/product"]`, url.Values{"product_name": {"exchange online"}, "product_area": {"m365"}})
	handlertest.WantStatus(t, r, http.StatusUnprocessableEntity)
	if got := admFieldError(r, "product_name"); got != "This name is already in the list." {
		t.Errorf("duplicate message %q", got)
	}
	if admValue(r, "product_name") != "exchange online" {
		t.Error("typed name not kept")
	}
	r = op.Submit(page, `form[action="/admin/refdata/activity"]`, url.Values{"activity_name": {""}, "activity_area": {""}})
	handlertest.WantStatus(t, r, http.StatusUnprocessableEntity)
	if admFieldError(r, "activity_name") != "Required." || admFieldError(r, "activity_area") != "Choose a solution area." {
		t.Errorf("activity messages %q / %q", admFieldError(r, "activity_name"), admFieldError(r, "activity_area"))
	}

	r = op.Submit(page, `form[action="/admin/refdata/product"]`, url.Values{"product_name": {"Dynamics 365 Copilot"}, "product_area": {"bizapps"}})
	page = admFollow(t, op, r)
	row := page.Doc().Find(`[data-testid="products"] tr:contains("Dynamics 365 Copilot")`)
	if !strings.Contains(row.Text(), "Per subscription") || !strings.Contains(row.Text(), "In use") {
		t.Fatalf("new product row %q", row.Text())
	}
	action, _ := row.Find("form").Attr("action")
	r = op.PostForm(action, nil)
	page = admFollow(t, op, r)
	row = page.Doc().Find(`[data-testid="products"] tr:contains("Dynamics 365 Copilot")`)
	if !strings.Contains(row.Text(), "Retired") {
		t.Errorf("retired row %q", row.Text())
	}
	ref, err := env.App.Store.RefData(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range ref.ProductsOf(models.AreaBizApps) {
		if p.Name == "Dynamics 365 Copilot" {
			t.Error("a retired product is still offered")
		}
	}
	if n := env.QueryInt(t, `SELECT count(*) FROM audit_log WHERE kind IN ('refdata.add','refdata.retire')`); n != 2 {
		t.Errorf("%d refdata audit rows", n)
	}
}

const admImportHeader = "kind,tenant_id,tenant_name,value,product,channel,state,contact_name,language\n"

func admImport(t *testing.T, c *handlertest.Client, name, content string) *handlertest.Response {
	t.Helper()
	page := c.Get("/admin/directory/import")
	handlertest.WantStatus(t, page, http.StatusOK)
	return c.PostMultipart("/admin/directory/import", nil, handlertest.File{Field: "file", Name: name, Content: []byte(content)})
}

func TestDirectoryImportIsAllOrNothing(t *testing.T) {
	t.Parallel()
	env := handlertest.New(t)
	op := admOperator(t, env)
	before := env.QueryInt(t, `SELECT (SELECT count(*) FROM tenants) + (SELECT count(*) FROM tenant_domains) + (SELECT count(*) FROM tenant_contacts) + (SELECT count(*) FROM subscriptions)`)
	audit := env.QueryInt(t, `SELECT count(*) FROM audit_log`)

	const tenant = "6d5e4c3b-2a19-4807-9f6e-5d4c3b2a1908"
	bad := admImportHeader +
		"tenant," + tenant + ",Adatum Kft.,,,,,,\n" + // 2: good
		"domain," + tenant + ",,adatum.test,,,,,\n" + // 3: good
		"domain," + tenant + ",,not a domain,,,,,\n" + // 4: bad domain
		"contact," + tenant + ",,it@adatum.test,,,,IT,de\n" + // 5: bad language
		"domain," + tenant + ",,ADATUM.test,,,,,\n" + // 6: duplicate of 3
		"subscription," + tenant + ",,77777777-7777-4777-8777-777777777777,Dynamics 365 Sales,CSP,active,,\n" + // 7: good
		"domain,9b1d4e22-7c3a-4f5e-8d2b-1a0c3e5f7b92,,contoso-customer.test,,,,,\n" // 8: taken by another tenant
	r := admImport(t, op, "adatum.csv", bad)
	handlertest.WantStatus(t, r, http.StatusUnprocessableEntity)
	if !strings.Contains(r.Doc().Find(`[data-testid="import-rejected"]`).Text(), "Nothing was imported.") {
		t.Errorf("rejection notice %q", r.Doc().Find(`[data-testid="import-rejected"]`).Text())
	}
	var report []string
	r.Doc().Find(`[data-testid="import-report"] tbody tr`).Each(func(_ int, tr *goquery.Selection) {
		report = append(report, strings.TrimSpace(tr.Find("td").First().Text())+" "+strings.TrimSpace(tr.Find("td").Last().Text()))
	})
	want := []string{
		"4 not a domain is not a domain.",
		"5 The language de is neither en nor hu.",
		"6 This row repeats line 3.",
	}
	if strings.Join(report, "\n") != strings.Join(want, "\n") {
		t.Errorf("report:\n%s\nwant:\n%s", strings.Join(report, "\n"), strings.Join(want, "\n"))
	}
	after := env.QueryInt(t, `SELECT (SELECT count(*) FROM tenants) + (SELECT count(*) FROM tenant_domains) + (SELECT count(*) FROM tenant_contacts) + (SELECT count(*) FROM subscriptions)`)
	if after != before || env.QueryInt(t, `SELECT count(*) FROM tenants WHERE id = ?`, tenant) != 0 {
		t.Errorf("a rejected import changed the directory: %d rows before, %d after", before, after)
	}
	if n := env.QueryInt(t, `SELECT count(*) FROM audit_log`); n != audit {
		t.Errorf("a rejected import wrote %d audit rows", n-audit)
	}

	// Rows that are fine on their own but clash with the database are
	// reported too, and still nothing is applied.
	clash := admImportHeader +
		"tenant," + tenant + ",Adatum Kft.,,,,,,\n" +
		"domain," + tenant + ",,contoso-customer.test,,,,,\n" +
		"subscription," + tenant + ",,88888888-8888-4888-8888-888888888888,Exchange Online,VL,active,,\n"
	r = admImport(t, op, "clash.csv", clash)
	handlertest.WantStatus(t, r, http.StatusUnprocessableEntity)
	text := r.Doc().Find(`[data-testid="import-report"]`).Text()
	if !strings.Contains(text, "The domain contoso-customer.test is verified by another tenant.") || !strings.Contains(text, "Exchange Online is not a Business Applications product.") {
		t.Errorf("report %q", text)
	}
	if env.QueryInt(t, `SELECT count(*) FROM tenants WHERE id = ?`, tenant) != 0 {
		t.Error("the tenant row of a rejected file was applied")
	}

	good := admImportHeader +
		"tenant," + tenant + ",Adatum Kft.,,,,,,\n" +
		"domain," + tenant + ",,adatum.test,,,,,\n" +
		"contact," + tenant + ",,it@adatum.test,,,,IT,hu\n" +
		"subscription," + tenant + ",,77777777-7777-4777-8777-777777777777,Dynamics 365 Sales,VL,active,,\n"
	r = admImport(t, op, "adatum.csv", "\ufeff"+good)
	page := admFollow(t, op, r)
	if got := admFlashText(page); got != "Imported 4 rows." {
		t.Errorf("flash %q", got)
	}
	tp := op.Get("/admin/directory/" + tenant)
	handlertest.WantStatus(t, tp, http.StatusOK)
	for _, s := range []string{"adatum.test", "it@adatum.test", "77777777-7777-4777-8777-777777777777", "Dynamics 365 Sales"} {
		if !strings.Contains(tp.Body, s) {
			t.Errorf("the tenant page lacks %s", s)
		}
	}
	if n := env.QueryInt(t, `SELECT count(*) FROM audit_log WHERE kind = 'directory.import' AND actor = ?`, handlertest.OperatorEmail); n != 1 {
		t.Errorf("%d import audit rows", n)
	}

	// No file, or not UTF-8: a message next to the file field.
	r = op.PostMultipart("/admin/directory/import", nil)
	handlertest.WantStatus(t, r, http.StatusUnprocessableEntity)
	if got := admFieldError(r, "file"); got != "Choose a CSV file." {
		t.Errorf("no-file message %q", got)
	}
	r = admImport(t, op, "latin1.csv", admImportHeader+"tenant,"+tenant+",Adat\xfcm,,,,,,\n")
	handlertest.WantStatus(t, r, http.StatusUnprocessableEntity)
	if got := admFieldError(r, "file"); !strings.HasPrefix(got, "The file is not UTF-8 text.") {
		t.Errorf("encoding message %q", got)
	}
}

func TestDirectoryTemplateDownloads(t *testing.T) {
	t.Parallel()
	env := handlertest.New(t)
	op := admOperator(t, env)
	r := op.Get("/admin/directory/template.csv")
	handlertest.WantStatus(t, r, http.StatusOK)
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") {
		t.Errorf("Content-Type %q", ct)
	}
	if cd := r.Header.Get("Content-Disposition"); !strings.Contains(cd, "attachment") {
		t.Errorf("Content-Disposition %q", cd)
	}
	if !strings.HasPrefix(r.Body, admImportHeader) {
		t.Errorf("template starts %q", r.Body[:min(len(r.Body), 80)])
	}
	// The template itself imports.
	r = admImport(t, op, "template.csv", r.Body)
	handlertest.WantStatus(t, r, http.StatusSeeOther)
}

func TestTenantSearchAndEdit(t *testing.T) {
	t.Parallel()
	env := handlertest.New(t)
	op := admOperator(t, env)
	const contoso = "7f3c2a10-5b6e-4c1d-9a8f-0e2d4b6c8a01"
	for q, want := range map[string]string{"northwind": "Northwind Traders Kft.", "CONTOSOCUSTOMER.onmicrosoft": "Contoso Customer Ltd", "7F3C2A10": "Contoso Customer Ltd"} {
		r := op.Get("/admin/directory?q=" + url.QueryEscape(q))
		rows := r.Doc().Find(`[data-testid="tenants"] tbody tr`)
		if rows.Length() != 1 || !strings.Contains(rows.Text(), want) {
			t.Errorf("search %q: %q", q, rows.Text())
		}
	}
	if r := op.Get("/admin/directory?q=nothing-like-this"); r.Doc().Find(`[data-testid="empty"]`).Length() != 1 {
		t.Error("no empty state for a search without results")
	}

	page := op.Get("/admin/directory/" + strings.ToUpper(contoso))
	handlertest.WantStatus(t, page, http.StatusOK)
	// A domain of another tenant is refused next to the field, kept as typed.
	r := op.Submit(page, `form[action$="/domains"]`, url.Values{"domain": {"Northwind.test"}})
	handlertest.WantStatus(t, r, http.StatusUnprocessableEntity)
	if admFieldError(r, "domain") != "This domain is verified by another tenant." || admValue(r, "domain") != "Northwind.test" {
		t.Errorf("domain message %q, value %q", admFieldError(r, "domain"), admValue(r, "domain"))
	}
	r = op.Submit(page, `form[action$="/domains"]`, url.Values{"domain": {"Contoso-Customer.EU."}})
	page = admFollow(t, op, r)
	if !strings.Contains(page.Doc().Find(`[data-testid="domains"]`).Text(), "contoso-customer.eu") {
		t.Error("the new domain is not listed")
	}
	// Remove it again through the confirmation page.
	confirm := op.Get("/admin/directory/" + contoso + "/domains/remove?domain=contoso-customer.eu")
	handlertest.WantStatus(t, confirm, http.StatusOK)
	admFollow(t, op, op.Submit(confirm, `[data-testid="confirm"] form`, nil))
	if env.QueryInt(t, `SELECT count(*) FROM tenant_domains WHERE domain = 'contoso-customer.eu'`) != 0 {
		t.Error("the domain was not removed")
	}

	// Change a contact's language with the prefilled form.
	cid := env.QueryInt(t, `SELECT id FROM tenant_contacts WHERE email = 'it-admin@contoso-customer.test'`)
	page = op.Get(fmt.Sprintf("/admin/directory/%s?contact=%d", contoso, cid))
	if admValue(page, "contact_email") != "it-admin@contoso-customer.test" {
		t.Fatalf("contact form not prefilled: %q", admValue(page, "contact_email"))
	}
	r = op.Submit(page, "#contact-form", url.Values{"contact_language": {"hu"}})
	admFollow(t, op, r)
	if env.QueryInt(t, `SELECT count(*) FROM tenant_contacts WHERE id = ? AND language = 'hu'`, cid) != 1 {
		t.Error("the contact's language was not changed")
	}
	r = op.Submit(page, "#contact-form", url.Values{"contact_email": {"nobody"}, "contact_name": {"Nobody"}})
	handlertest.WantStatus(t, r, http.StatusUnprocessableEntity)
	if admFieldError(r, "contact_email") != "Enter an email address." || admValue(r, "contact_name") != "Nobody" {
		t.Error("contact form: message or typed name missing")
	}

	// A subscription that ends is changed in place.
	page = op.Get("/admin/directory/" + contoso + "?sub=11111111-1111-4111-8111-111111111111")
	r = op.Submit(page, "#sub-form", url.Values{"sub_state": {"ended"}})
	admFollow(t, op, r)
	if env.QueryInt(t, `SELECT count(*) FROM subscriptions WHERE id = '11111111-1111-4111-8111-111111111111' AND state = 'ended'`) != 1 {
		t.Error("the subscription did not end")
	}
	if n := env.QueryInt(t, `SELECT count(*) FROM audit_log WHERE kind LIKE 'directory.%' AND object = ?`, "tenant:"+contoso); n != 4 {
		t.Errorf("%d directory audit rows, want 4 (domain add, remove, contact, subscription)", n)
	}
}

func TestHolidayCalendar(t *testing.T) {
	t.Parallel()
	env := handlertest.New(t)
	op := admOperator(t, env)
	page := op.Get("/admin/holidays")
	handlertest.WantStatus(t, page, http.StatusOK)
	r := op.Submit(page, `form[action="/admin/holidays"]`, url.Values{"day": {"2026-02-30"}, "holiday_name": {"Nope"}})
	handlertest.WantStatus(t, r, http.StatusUnprocessableEntity)
	// A date input can hold only a valid date; the typed name is kept.
	if admFieldError(r, "day") != "Enter a date as YYYY-MM-DD." || admValue(r, "holiday_name") != "Nope" || admValue(r, "day") != "" {
		t.Errorf("date message %q", admFieldError(r, "day"))
	}
	r = op.Submit(page, `form[action="/admin/holidays"]`, url.Values{"day": {"2026-03-16"}, "holiday_name": {"Test holiday"}})
	page = admFollow(t, op, r)
	if !strings.Contains(page.Doc().Find(`[data-testid="holidays"]`).Text(), "Test holiday") {
		t.Error("the holiday is not listed")
	}
	// A past holiday shows with "past" only.
	r = op.Submit(page, `form[action="/admin/holidays"]`, url.Values{"day": {"2025-12-25"}, "holiday_name": {"Christmas"}})
	handlertest.WantRedirect(t, r, "/admin/holidays?past=1")
	if !strings.Contains(op.Get(r.Location()).Doc().Find(`[data-testid="holidays"]`).Text(), "Christmas") ||
		strings.Contains(op.Get("/admin/holidays").Doc().Find(`[data-testid="holidays"]`).Text(), "Christmas") {
		t.Error("past holidays are not separated from upcoming ones")
	}
	confirm := op.Get("/admin/holidays/2026-03-16/remove")
	handlertest.WantStatus(t, confirm, http.StatusOK)
	admFollow(t, op, op.Submit(confirm, `[data-testid="confirm"] form`, nil))
	if env.QueryInt(t, `SELECT count(*) FROM holidays WHERE day = '2026-03-16'`) != 0 {
		t.Error("the holiday was not removed")
	}
	handlertest.WantStatus(t, op.Get("/admin/holidays/2026-03-16/remove"), http.StatusNotFound)
}

// A message still queued is stored as its facts; the log renders it for
// the operator: its subject in the list, its text with the link hidden.
func TestMailLogRendersAQueuedMessage(t *testing.T) {
	t.Parallel()
	env := handlertest.New(t)
	op := admOperator(t, env)
	revID := env.UserID(t, handlertest.ReviewerEmail)
	handlertest.WantStatus(t, op.PostForm(fmt.Sprintf("/admin/users/%d/link", revID), nil), http.StatusSeeOther)
	if n := env.QueryInt(t, `SELECT count(*) FROM outbox WHERE state = 'queued' AND subject = '' AND data <> ''`); n != 1 {
		t.Fatalf("%d messages queued as facts, want 1", n)
	}
	list := op.Get("/admin/mail?state=queued")
	handlertest.WantStatus(t, list, http.StatusOK)
	row := list.Doc().Find(`[data-testid="mail"] tbody tr`)
	if row.Length() != 1 || !strings.Contains(row.Text(), "Set a new password for CPOR Claims") {
		t.Fatalf("queued messages: %q", row.Text())
	}
	href, _ := row.Find(`a[href^="/admin/mail/"]`).Attr("href")
	text := op.Get(href).Doc().Find(`[data-testid="mail-text"]`).Text()
	if !strings.Contains(text, "[link hidden]") || strings.Contains(text, "/account/password/") || !strings.Contains(text, "Set a new password") {
		t.Errorf("queued message text: %q", text)
	}
}

func TestMailLogShowsAFailureAndResendsIt(t *testing.T) {
	t.Parallel()
	env := handlertest.New(t, handlertest.WithWorker(func(w *models.Worker) { w.MaxAttempts = 1 }))
	op := admOperator(t, env)
	env.SMTP.SetBehaviour(handlertest.Reject)
	revID := env.UserID(t, handlertest.ReviewerEmail)
	r := op.PostForm(fmt.Sprintf("/admin/users/%d/link", revID), nil)
	handlertest.WantStatus(t, r, http.StatusSeeOther)
	env.RunWorker(t)

	list := op.Get("/admin/mail?state=failed")
	handlertest.WantStatus(t, list, http.StatusOK)
	row := list.Doc().Find(`[data-testid="mail"] tbody tr`)
	if row.Length() != 1 || !strings.Contains(row.Text(), handlertest.ReviewerEmail) || !strings.Contains(row.Text(), "Failed") {
		t.Fatalf("failed messages: %q", row.Text())
	}
	if got := op.Get("/admin/mail?state=sent").Doc().Find(`[data-testid="empty"]`).Length(); got != 1 {
		t.Error("the sent filter should be empty")
	}
	if got := op.Get("/admin/mail?to=nobody").Doc().Find(`[data-testid="empty"]`).Length(); got != 1 {
		t.Error("the recipient filter should be empty")
	}
	// The stored message shows, its personal link hidden.
	href, _ := row.Find(`a[href^="/admin/mail/"]`).Attr("href")
	msg := op.Get(href)
	handlertest.WantStatus(t, msg, http.StatusOK)
	text := msg.Doc().Find(`[data-testid="mail-text"]`).Text()
	if !strings.Contains(text, "[link hidden]") || strings.Contains(text, "/account/password/") {
		t.Errorf("message text shows the link: %q", text)
	}

	env.SMTP.SetBehaviour(handlertest.Accept)
	r = op.Submit(list, `[data-testid="mail"] form`, nil)
	handlertest.WantRedirect(t, r, "/admin/mail?state=failed")
	if got := admFlashText(op.Get(r.Location())); got != "The message is queued again." {
		t.Errorf("flash %q", got)
	}
	m := env.WaitForMail(t, handlertest.To(handlertest.ReviewerEmail))
	if handlertest.LinkIn(m, "/account/password/") == "" {
		t.Error("the resent message has no link")
	}
	// Resending again: it is not failed any more.
	r = op.PostForm(href+"/resend", nil)
	if got := admFlashText(admFollow(t, op, r)); !strings.HasPrefix(got, "Only failed messages can be resent") {
		t.Errorf("second resend flash %q", got)
	}
	if n := env.QueryInt(t, `SELECT count(*) FROM audit_log WHERE kind = 'mail.resend'`); n != 1 {
		t.Errorf("%d mail.resend audit rows", n)
	}
}

func TestAuditLogFiltersAndExport(t *testing.T) {
	t.Parallel()
	env := handlertest.New(t)
	// A failed sign-in whose "email" is a spreadsheet formula.
	anon := env.NewClient(t)
	handlertest.WantStatus(t, anon.PostForm("/login", url.Values{"email": {"=HYPERLINK(\"http://evil.test\")"}, "password": {"x"}}), http.StatusUnprocessableEntity)
	op := admOperator(t, env)
	admFollow(t, op, op.PostForm(fmt.Sprintf("/admin/users/%d/link", env.UserID(t, handlertest.ReviewerEmail)), nil))

	page := op.Get("/admin/audit?kind=signin.")
	handlertest.WantStatus(t, page, http.StatusOK)
	rows := page.Doc().Find(`[data-testid="audit"] tbody tr`)
	if rows.Length() != 2 || !strings.Contains(rows.Text(), "signin.failure") || !strings.Contains(rows.Text(), "signin.success") {
		t.Errorf("sign-in rows %q", rows.Text())
	}
	page = op.Get("/admin/audit?kind=user.reset_sent&actor=operator@")
	if rows := page.Doc().Find(`[data-testid="audit"] tbody tr`); rows.Length() != 1 || !strings.Contains(rows.Text(), handlertest.ReviewerEmail) {
		t.Errorf("reset rows %q", rows.Text())
	}
	if n := op.Get("/admin/audit?from=2026-03-05").Doc().Find(`[data-testid="empty"]`).Length(); n != 1 {
		t.Error("a date filter after today should find nothing")
	}
	if n := op.Get("/admin/audit?to=2026-03-04").Doc().Find(`[data-testid="audit"] tbody tr`).Length(); n < 3 {
		t.Errorf("the day's rows with an inclusive end date: %d", n)
	}
	bad := op.Get("/admin/audit?from=yesterday")
	handlertest.WantStatus(t, bad, http.StatusUnprocessableEntity)
	if admFieldError(bad, "from") != "Enter a date as YYYY-MM-DD." || admValue(bad, "actor") != "" {
		t.Error("bad date: message missing")
	}
	kept := op.Get("/admin/audit?from=yesterday&actor=oscar&kind=user.")
	if admValue(kept, "actor") != "oscar" || kept.Doc().Find(`select[name="kind"] option[selected]`).AttrOr("value", "") != "user." {
		t.Error("the other filters are not kept next to a bad date")
	}

	exp, _ := page.Doc().Find(`[data-testid="export"]`).Attr("href")
	if exp != "/admin/audit/export.csv?actor=operator%40&kind=user.reset_sent" {
		t.Errorf("export link %q keeps no filter", exp)
	}
	r := op.Get("/admin/audit/export.csv?kind=signin.")
	handlertest.WantStatus(t, r, http.StatusOK)
	if !strings.HasPrefix(r.Body, "\ufeff") {
		t.Fatal("the CSV has no byte-order mark")
	}
	recs, err := csv.NewReader(bytes.NewReader([]byte(strings.TrimPrefix(r.Body, "\ufeff")))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(recs[0], ",") != "When,Who,Address,Kind,Object,What changed" {
		t.Errorf("header %q", recs[0])
	}
	if len(recs) != 3 {
		t.Fatalf("%d records, want header + 2", len(recs))
	}
	found := false
	for _, rec := range recs[1:] {
		if rec[1] == `'=HYPERLINK("http://evil.test")` {
			found = true
		}
		if strings.HasPrefix(rec[1], "=") {
			t.Errorf("a formula cell is not neutralised: %q", rec[1])
		}
	}
	if !found {
		t.Errorf("the formula actor is missing: %q", recs)
	}

	// The header follows the person's language.
	op.PostForm("/lang", url.Values{"lang": {"hu"}, "back": {"/admin/audit"}})
	r = op.Get("/admin/audit/export.csv?kind=signin.")
	if first := strings.SplitN(strings.TrimPrefix(r.Body, "\ufeff"), "\n", 2)[0]; first != "Időpont,Ki,Cím,Típus,Objektum,Mi változott" {
		t.Errorf("Hungarian header %q", first)
	}
}

// Nobody is invited into a disabled organisation: the link could not be used.
func TestNoInvitationIntoDisabledOrganisation(t *testing.T) {
	env := handlertest.New(t)
	op := env.NewClient(t)
	op.LoginAs(handlertest.OperatorEmail)
	org := env.QueryInt(t, `SELECT id FROM organisations WHERE name = 'Fabrikam Services'`)
	env.Exec(t, `UPDATE organisations SET disabled = 1 WHERE id = ?`, org)
	before := env.QueryInt(t, `SELECT count(*) FROM users`)
	path := fmt.Sprintf("/admin/orgs/%d/invite", org)
	op.Get(path)
	r := op.PostForm(path, url.Values{"email": {"new-admin@fabrikam-partner.test"}, "name": {"New Admin"}, "language": {"en"}})
	handlertest.WantStatus(t, r, 422)
	if !strings.Contains(handlertest.MainText(r), "This organisation is disabled") {
		t.Errorf("no explanation on the page:\n%s", handlertest.MainText(r))
	}
	if after := env.QueryInt(t, `SELECT count(*) FROM users`); after != before {
		t.Errorf("a user was created: %d → %d", before, after)
	}
}
