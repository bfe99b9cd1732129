package browser_test

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	ht "cpor/handlers/handlertest"
	"cpor/models"
)

// Demo data of SPEC §7 that the journeys use.
const (
	demoTenant     = "7f3c2a10-5b6e-4c1d-9a8f-0e2d4b6c8a01"
	demoDomain     = "contoso-customer.test"
	otherTenant    = "9b1d4e22-7c3a-4f5e-8d2b-1a0c3e5f7b92"
	otherDomain    = "northwind.test"
	salesSub       = "11111111-1111-4111-8111-111111111111"
	customerEN     = "it-admin@contoso-customer.test"
	customerHU     = "penzugy@contoso-customer.test"
	programM365    = "OSU – Microsoft 365"
	programBizApps = "OSU – Business Applications"
)

// pdf is the smallest file the type detector takes for a PDF.
var pdf = []byte("%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n")

// writeFile puts a file for an upload into the test's temp folder.
func writeFile(t *testing.T, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

var claimPath = regexp.MustCompile(`/claims/(\d+)`)

// claimIDOf reads the claim ID from a claim page's address.
func claimIDOf(t *testing.T, path string) int64 {
	t.Helper()
	m := claimPath.FindStringSubmatch(path)
	if m == nil {
		t.Fatalf("not a claim address: %s", path)
	}
	id, _ := strconv.ParseInt(m[1], 10, 64)
	return id
}

// claimOf reads a claim as the operator sees it (for its deadlines).
func claimOf(t *testing.T, env *ht.Env, id int64) *models.Claim {
	t.Helper()
	c, _, err := env.App.Store.ClaimFor(context.Background(), models.Viewer{Role: models.RoleOperator}, id)
	if err != nil {
		t.Fatalf("claim %d: %v", id, err)
	}
	return c
}

// Seeding over plain HTTP (handlertest's client): for set-ups that other
// journeys already walk in the browser, and for the sweep's objects.
type seeder struct {
	t                 *testing.T
	env               *ht.Env
	user, admin, fab  *ht.Client
	reviewer, visitor *ht.Client
}

func newSeeder(t *testing.T, env *ht.Env) *seeder {
	sd := &seeder{t: t, env: env}
	sd.user, sd.admin, sd.fab, sd.reviewer, sd.visitor = env.NewClient(t), env.NewClient(t), env.NewClient(t), env.NewClient(t), env.NewClient(t)
	sd.user.LoginAs(ht.UserEmail)
	sd.admin.LoginAs(ht.AdminEmail)
	sd.fab.LoginAs(ht.OtherAdminEmail)
	sd.reviewer.LoginAs(ht.ReviewerEmail)
	return sd
}

func (sd *seeder) id(query string, args ...any) string {
	return strconv.FormatInt(sd.env.QueryInt(sd.t, query, args...), 10)
}

// draft saves a claim through the form and returns its ID.
func (sd *seeder) draft(c *ht.Client, program int, mpn, name string, lines url.Values) int64 {
	sd.t.Helper()
	v := url.Values{
		"program": {strconv.Itoa(program)}, "location": {sd.id(`SELECT id FROM locations WHERE mpn_id = ?`, mpn)},
		"tenant": {demoTenant}, "domain": {demoDomain}, "name": {name},
		"customer_name": {"Ivan Admin"}, "customer_title": {"IT lead"}, "customer_email": {customerEN},
		"partner_name": {"Anna Admin"}, "partner_email": {ht.AdminEmail}, "op": {"save"},
	}
	area := "m365"
	if program != 2 {
		area = "bizapps"
	}
	v.Set("activity", sd.id(`SELECT id FROM activities WHERE solution_area = ? AND name = 'Usage'`, area))
	if c == sd.fab {
		v.Set("partner_name", "Fabian Admin")
		v.Set("partner_email", ht.OtherAdminEmail)
	}
	for k, vs := range lines {
		v[k] = vs
	}
	c.Get("/claims/new?program=" + v.Get("program"))
	r := c.PostForm("/claims", v)
	ht.WantStatus(sd.t, r, 303)
	return claimIDOf(sd.t, r.Location())
}

// m365 drafts an OSU – Microsoft 365 claim for workloads of the demo tenant.
func (sd *seeder) m365(c *ht.Client, mpn, name string, workloads ...string) int64 {
	sd.t.Helper()
	lines := url.Values{}
	for _, w := range workloads {
		lines.Add("workloads", sd.id(`SELECT id FROM products WHERE name = ?`, w))
	}
	return sd.draft(c, 2, mpn, name, lines)
}

// bizApps drafts an OSU – Business Applications claim for one subscription.
func (sd *seeder) bizApps(c *ht.Client, mpn, name, product, sub string) int64 {
	sd.t.Helper()
	return sd.draft(c, 3, mpn, name, url.Values{
		"rows": {"1"}, "product_0": {sd.id(`SELECT id FROM products WHERE name = ?`, product)}, "subscription_0": {sub},
	})
}

func base(id int64) string       { return "/claims/" + strconv.FormatInt(id, 10) }
func reviewBase(id int64) string { return "/review/claims/" + strconv.FormatInt(id, 10) }

// act posts a lifecycle action with the version the claim page shows.
func (sd *seeder) act(c *ht.Client, path, action string, extra url.Values) {
	sd.t.Helper()
	sd.actFrom(c, path, path, action, extra)
}

// confirmed posts an action that asks first (withdraw, end, delete) from its
// confirmation page.
func (sd *seeder) confirmed(c *ht.Client, id int64, action string) {
	sd.t.Helper()
	sd.actFrom(c, base(id)+"/confirm/"+action, base(id), action, nil)
}

func (sd *seeder) actFrom(c *ht.Client, from, path, action string, extra url.Values) {
	sd.t.Helper()
	page := c.Get(from)
	ht.WantStatus(sd.t, page, 200)
	v, ok := page.Doc().Find(`input[name=version]`).First().Attr("value")
	if !ok {
		sd.t.Fatalf("no version on %s:\n%s", from, ht.MainText(page))
	}
	vals := url.Values{"version": {v}}
	for k, vs := range extra {
		vals[k] = vs
	}
	r := c.PostForm(path+"/actions/"+action, vals)
	ht.WantStatus(sd.t, r, 303)
}

func (sd *seeder) upload(c *ht.Client, id int64, name string) {
	sd.t.Helper()
	c.Get(base(id))
	r := c.PostMultipart(base(id)+"/files", url.Values{}, ht.File{Field: "files", Name: name, Content: pdf})
	ht.WantStatus(sd.t, r, 303)
}

// submitted: a file, then the organisation's admin submits.
func (sd *seeder) submitted(admin *ht.Client, id int64) {
	sd.t.Helper()
	sd.upload(admin, id, "poe.pdf")
	sd.act(admin, base(id), "submit", nil)
}

func (sd *seeder) underReview(admin *ht.Client, id int64) {
	sd.t.Helper()
	sd.submitted(admin, id)
	sd.act(sd.reviewer, reviewBase(id), "start_review", nil)
}

// approved takes a claim to its consent period and returns the English
// contact's personal link.
func (sd *seeder) approved(admin *ht.Client, id int64) string {
	sd.t.Helper()
	sd.underReview(admin, id)
	sd.act(sd.reviewer, reviewBase(id), "approve", nil)
	return sd.consentLink(id, customerEN)
}

// consentLink waits for the consent email of a claim to a contact.
func (sd *seeder) consentLink(id int64, to string) string {
	sd.t.Helper()
	number := models.ClaimNumber(id)
	msg := sd.env.WaitForMail(sd.t, func(m ht.Msg) bool { return m.SentTo(to) && strings.Contains(m.Subject, number) })
	link := ht.LinkIn(msg, "/c/")
	if link == "" {
		sd.t.Fatalf("no link in the consent email:\n%s", msg.Text)
	}
	return link
}

// official: approved, then the customer accepts through the link.
func (sd *seeder) official(admin *ht.Client, id int64) string {
	sd.t.Helper()
	link := sd.approved(admin, id)
	sd.visitor.Get(link)
	r := sd.visitor.PostForm(link+"/accept", url.Values{})
	ht.WantStatus(sd.t, r, 200)
	return link
}

// waitMail waits for a message to addr whose subject contains part.
func waitMail(t *testing.T, env *ht.Env, addr, part string) ht.Msg {
	t.Helper()
	return env.WaitForMail(t, func(m ht.Msg) bool { return m.SentTo(addr) && strings.Contains(m.Subject, part) })
}

// at moves the fake clock to t and runs the worker, as time passing does.
func at(t *testing.T, env *ht.Env, when time.Time) {
	t.Helper()
	env.Clock.Set(when)
	env.RunWorker(t)
}
