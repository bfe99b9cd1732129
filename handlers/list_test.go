package handlers_test

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"github.com/PuerkitoBio/goquery"
	"net/url"
	"sort"
	"strings"
	"testing"

	ht "cpor/handlers/handlertest"
)

// listNumbers follows the list's pages (keyset cursor) and returns every
// claim number shown, in order.
func listNumbers(t *testing.T, c *ht.Client, query string) []string {
	t.Helper()
	var out []string
	path := "/claims" + query
	for pages := 0; path != ""; pages++ {
		if pages > 100 {
			t.Fatal("the list does not end")
		}
		r := c.Get(path)
		ht.WantStatus(t, r, 200)
		doc := r.Doc()
		doc.Find(`[data-testid=claims] tbody tr td:first-child a`).Each(func(_ int, s *goquery.Selection) {
			out = append(out, strings.TrimSpace(s.Text()))
		})
		next, ok := doc.Find(`a[rel=next]`).Attr("href")
		if !ok {
			break
		}
		path = next
	}
	return out
}

// exportNumbers downloads the CSV export of a filtered list.
func exportNumbers(t *testing.T, c *ht.Client, query string) (numbers []string, raw []byte) {
	t.Helper()
	r := c.Get("/claims/export.csv" + query)
	ht.WantStatus(t, r, 200)
	body := []byte(r.Body)
	if !bytes.HasPrefix(body, []byte("\ufeff")) {
		t.Fatal("the export has no UTF-8 byte order mark")
	}
	recs, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(body, []byte("\ufeff")))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	for _, rec := range recs[1:] {
		numbers = append(numbers, rec[0])
	}
	return numbers, body
}

// seedLists creates claims on both Contoso locations and at Fabrikam.
func seedLists(t *testing.T, env *ht.Env) (admin, user, fabrikam *ht.Client) {
	admin, user, fabrikam = env.NewClient(t), env.NewClient(t), env.NewClient(t)
	admin.LoginAs(ht.AdminEmail)
	user.LoginAs(ht.UserEmail)
	fabrikam.LoginAs(ht.OtherAdminEmail)
	workloads := []string{"Exchange Online", "SharePoint Online", "OneDrive for Business", "Microsoft Teams", "Yammer"}
	for i, w := range workloads {
		f := m365Form(t, env, "1000001", w)
		f.Set("name", fmt.Sprintf("Scope 1000001 claim %d", i))
		createClaim(t, env, user, f)
	}
	// Location 1000002 is enrolled in OSA Sell only: a Business Applications claim there.
	for i, sub := range []string{"11111111-1111-4111-8111-111111111111", "22222222-2222-4222-8222-222222222222"} {
		product := map[int]string{0: "Dynamics 365 Sales", 1: "Business Central"}[i]
		f := url.Values{"program": {"1"}, "location": {locationID(t, env, "1000002")}, "tenant": {demoTenant},
			"domain": {demoDomain}, "activity": {activityID(t, env, "bizapps", "Presales")},
			"name": {fmt.Sprintf("=HYPERLINK(\"http://evil.test\") location 1000002 claim %d", i)}, "rows": {"1"},
			"product_0": {productID(t, env, product)}, "subscription_0": {sub}, "op": {"save"}}
		createClaim(t, env, admin, f)
	}
	createClaim(t, env, fabrikam, m365Form(t, env, "2000001", "Exchange Online"))
	return admin, user, fabrikam
}

// The export holds exactly the rows the filtered list shows, for each role,
// and a user scoped to one location never sees another location's claims —
// not in the list, search, dashboard counts or the export.
func TestExportMatchesListAndScope(t *testing.T) {
	env := ht.New(t)
	admin, user, fabrikam := seedLists(t, env)
	for _, tc := range []struct {
		name  string
		c     *ht.Client
		query string
		want  int
	}{
		{"admin, everything", admin, "", 7},
		{"admin, drafts of OSA Sell", admin, "?status=editing&program=1", 2},
		{"admin, search by domain", admin, "?q=contoso-customer", 7},
		{"user, everything", user, "", 5},
		{"user, search by tenant", user, "?q=" + demoTenant, 5},
		{"user, asks for the other location", user, "?location=" + locationID(t, env, "1000002"), 0},
		{"fabrikam, everything", fabrikam, "", 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			list := listNumbers(t, tc.c, tc.query)
			exp, _ := exportNumbers(t, tc.c, tc.query)
			if len(list) != tc.want {
				t.Errorf("the list shows %d claims, want %d: %v", len(list), tc.want, list)
			}
			if strings.Join(list, ",") != strings.Join(exp, ",") {
				t.Errorf("the export %v differs from the list %v", exp, list)
			}
		})
	}
	// The user's dashboard counts only their scope.
	d := user.Get("/dashboard")
	if n := strings.TrimSpace(d.Doc().Find(`a.tile[href="/claims?status=editing"] .n`).Text()); n != "5" {
		t.Errorf("the scoped user's dashboard counts %s drafts, want 5", n)
	}
	// Another location's claim by URL is not found for the scoped user.
	other := env.QueryInt(t, `SELECT min(c.id) FROM claims c JOIN locations l ON l.id = c.location_id WHERE l.mpn_id = '1000002'`)
	ht.WantStatus(t, user.Get(fmt.Sprintf("/claims/%d", other)), 404)
}

// A cell a spreadsheet would run as a formula is neutralised in the export.
func TestExportNeutralisesFormulas(t *testing.T) {
	env := ht.New(t)
	admin, _, _ := seedLists(t, env)
	_, raw := exportNumbers(t, admin, "?program=1")
	recs, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(raw, []byte("\ufeff")))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	for _, rec := range recs[1:] {
		if !strings.HasPrefix(rec[1], "'=HYPERLINK") {
			t.Errorf("claim name cell %q is not neutralised", rec[1])
		}
	}
	if recs[0][0] != "Claim number" {
		t.Errorf("header %q", recs[0])
	}
}

// Keyset paging visits every claim exactly once, even while new claims are
// being created between pages.
func TestKeysetPagingWhileInserting(t *testing.T) {
	env := ht.New(t)
	admin := env.NewClient(t)
	admin.LoginAs(ht.AdminEmail)
	// 120 drafts, inserted directly: the list's pages are 50 long.
	loc := locationID(t, env, "1000001")
	user := env.UserID(t, ht.AdminEmail)
	for i := 0; i < 120; i++ {
		env.Exec(t, `INSERT INTO claims (organisation_id, location_id, creator_id, program_id, activity_id, tenant_id, domain, name,
			status, created_at, updated_at, status_at) SELECT organisation_id, ?, ?, 2, (SELECT id FROM activities WHERE solution_area = 'm365'),
			?, ?, ?, 'editing', ?, ?, ? FROM locations WHERE id = ?`, loc, user, demoTenant, demoDomain, fmt.Sprintf("Paging %03d", i),
			1_700_000_000_000+int64(i)*1000, 1_700_000_000_000+int64(i)*1000, 1_700_000_000_000, loc)
	}
	seen := map[string]int{}
	path := "/claims"
	for pages := 0; path != ""; pages++ {
		r := admin.Get(path)
		doc := r.Doc()
		doc.Find(`[data-testid=claims] tbody tr td:first-child a`).Each(func(_ int, s *goquery.Selection) {
			seen[strings.TrimSpace(s.Text())]++
		})
		// Someone creates a claim between pages: it is newer than the cursor.
		env.Exec(t, `INSERT INTO claims (organisation_id, location_id, creator_id, program_id, activity_id, tenant_id, domain, name,
			status, created_at, updated_at, status_at) SELECT organisation_id, ?, ?, 2, (SELECT id FROM activities WHERE solution_area = 'm365'),
			?, ?, 'New while paging', 'editing', ?, ?, ? FROM locations WHERE id = ?`, loc, user, demoTenant, demoDomain,
			1_800_000_000_000+int64(pages), 1_800_000_000_000+int64(pages), 1_800_000_000_000, loc)
		next, ok := doc.Find(`a[rel=next]`).Attr("href")
		if !ok {
			break
		}
		path = next
	}
	var twice []string
	for n, k := range seen {
		if k > 1 {
			twice = append(twice, n)
		}
	}
	sort.Strings(twice)
	if len(twice) > 0 {
		t.Errorf("claims shown on more than one page: %v", twice)
	}
	if len(seen) < 120 {
		t.Errorf("paging showed %d claims, want all 120", len(seen))
	}
}
