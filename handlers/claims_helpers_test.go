package handlers_test

import (
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	ht "cpor/handlers/handlertest"
)

const (
	demoTenant  = "7f3c2a10-5b6e-4c1d-9a8f-0e2d4b6c8a01"
	demoDomain  = "contoso-customer.test"
	programOSA  = 1
	programM365 = 2
	programBA   = 3
)

// pdf is the smallest file the detector takes for a PDF.
var pdf = []byte("%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n")

func id(t testing.TB, env *ht.Env, query string, args ...any) string {
	t.Helper()
	return strconv.FormatInt(env.QueryInt(t, query, args...), 10)
}

func locationID(t testing.TB, env *ht.Env, mpn string) string {
	return id(t, env, `SELECT id FROM locations WHERE mpn_id = ?`, mpn)
}

func productID(t testing.TB, env *ht.Env, name string) string {
	return id(t, env, `SELECT id FROM products WHERE name = ?`, name)
}

func activityID(t testing.TB, env *ht.Env, area, name string) string {
	return id(t, env, `SELECT id FROM activities WHERE solution_area = ? AND name = ?`, area, name)
}

// m365Form is a complete Microsoft 365 claim form for the demo tenant.
func m365Form(t testing.TB, env *ht.Env, mpn string, workloads ...string) url.Values {
	v := url.Values{
		"program": {strconv.Itoa(programM365)}, "location": {locationID(t, env, mpn)},
		"tenant": {demoTenant}, "domain": {demoDomain}, "activity": {activityID(t, env, "m365", "Usage")},
		"name": {"Contoso Customer M365"}, "customer_name": {"Ivan Admin"}, "customer_title": {"IT lead"},
		"customer_email": {"it-admin@contoso-customer.test"}, "partner_name": {"Anna Admin"},
		"partner_email": {"admin@contoso-partner.test"}, "op": {"save"},
	}
	for _, w := range workloads {
		v.Add("workloads", productID(t, env, w))
	}
	return v
}

var claimPath = regexp.MustCompile(`^/claims/(\d+)`)

// createClaim saves a draft through the form and returns its ID.
func createClaim(t testing.TB, env *ht.Env, c *ht.Client, form url.Values) string {
	t.Helper()
	c.Get("/claims/new?program=" + form.Get("program"))
	r := c.PostForm("/claims", form)
	ht.WantStatus(t, r, 303)
	m := claimPath.FindStringSubmatch(r.Location())
	if m == nil {
		t.Fatalf("create claim redirected to %q", r.Location())
	}
	return m[1]
}

// act posts a lifecycle action with the version shown on the claim page.
func act(t testing.TB, c *ht.Client, base, action string, extra url.Values) *ht.Response {
	t.Helper()
	page := c.Get(base)
	ht.WantStatus(t, page, 200)
	v := url.Values{"version": {claimVersion(t, page)}}
	for k, vs := range extra {
		v[k] = vs
	}
	return c.PostForm(base+"/actions/"+action, v)
}

func claimVersion(t testing.TB, page *ht.Response) string {
	t.Helper()
	v, ok := page.Doc().Find(`input[name=version]`).First().Attr("value")
	if !ok {
		t.Fatalf("no version on the page:\n%s", ht.MainText(page))
	}
	return v
}

func statusText(page *ht.Response) string {
	return strings.TrimSpace(page.Doc().Find(`.page-head [data-testid=status]`).First().Text())
}

func upload(t testing.TB, c *ht.Client, base, name string, content []byte) *ht.Response {
	t.Helper()
	c.Get(base)
	return c.PostMultipart(base+"/files", url.Values{}, ht.File{Field: "files", Name: name, Content: content})
}
