package handlers_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	ht "cpor/handlers/handlertest"
)

// cpFileID is the ID of the first file linked on a claim page.
func cpFileID(t *testing.T, page *ht.Response) string {
	t.Helper()
	href, ok := page.Doc().Find(`#files a[href*="/files/"]`).First().Attr("href")
	if !ok {
		t.Fatalf("no file on %s", page.Request.URL.Path)
	}
	return href[strings.LastIndex(href, "/")+1:]
}

// cpOSAForm is a complete OSA Sell claim for location 1000002.
func cpOSAForm(t testing.TB, env *ht.Env) url.Values {
	return url.Values{
		"program": {strconv.Itoa(programOSA)}, "location": {locationID(t, env, "1000002")},
		"tenant": {demoTenant}, "domain": {demoDomain}, "activity": {activityID(t, env, "bizapps", "Presales")},
		"name": {"Secret Debrecen deal"}, "rows": {"1"}, "product_0": {productID(t, env, "Dynamics 365 Sales")},
		"subscription_0": {"11111111-1111-4111-8111-111111111111"},
		"customer_name":  {"Ivan Admin"}, "customer_title": {"IT lead"}, "customer_email": {"it-admin@contoso-customer.test"},
		"partner_name": {"Anna Admin"}, "partner_email": {ht.AdminEmail}, "op": {"save"},
	}
}

// TestClaimsOutsideYourVisibilityAreNotFound: another organisation's claim,
// file and actions, and a claim outside an incentives user's locations, are
// 404 by ID — never a hint that they exist.
func TestClaimsOutsideYourVisibilityAreNotFound(t *testing.T) {
	t.Parallel()
	env := ht.New(t)
	user, admin, other := env.NewClient(t), env.NewClient(t), env.NewClient(t)
	user.LoginAs(ht.UserEmail)
	admin.LoginAs(ht.AdminEmail)
	other.LoginAs(ht.OtherAdminEmail)

	mine := createClaim(t, env, user, m365Form(t, env, "1000001", "Exchange Online"))
	ht.WantStatus(t, upload(t, user, "/claims/"+mine, "poe.pdf", pdf), http.StatusSeeOther)
	mineFile := cpFileID(t, user.Get("/claims/"+mine))
	outside := createClaim(t, env, admin, cpOSAForm(t, env))
	ht.WantStatus(t, upload(t, admin, "/claims/"+outside, "debrecen.pdf", pdf), http.StatusSeeOther)
	outsideFile := cpFileID(t, admin.Get("/claims/"+outside))
	theirs := createClaim(t, env, other, m365Form(t, env, "2000001", "Exchange Online"))
	ht.WantStatus(t, upload(t, other, "/claims/"+theirs, "fab.pdf", pdf), http.StatusSeeOther)

	probes := func(id, file string) []func(c *ht.Client) *ht.Response {
		base := "/claims/" + id
		return []func(c *ht.Client) *ht.Response{
			func(c *ht.Client) *ht.Response { return c.Get(base) },
			func(c *ht.Client) *ht.Response { return c.Get(base + "/edit") },
			func(c *ht.Client) *ht.Response { return c.Get(base + "/files/" + file) },
			func(c *ht.Client) *ht.Response { return c.Get(base + "/confirm/withdraw") },
			func(c *ht.Client) *ht.Response { return c.Get(base + "/poe-template") },
			func(c *ht.Client) *ht.Response {
				return c.PostForm(base+"/actions/withdraw", url.Values{"_csrf": {c.CSRF("/profile")}, "version": {"0"}})
			},
			func(c *ht.Client) *ht.Response {
				return c.PostForm(base, url.Values{"_csrf": {c.CSRF("/profile")}, "version": {"1"}, "name": {"Mine now"}})
			},
			func(c *ht.Client) *ht.Response {
				return c.PostForm(base+"/comments", url.Values{"_csrf": {c.CSRF("/profile")}, "comment": {"Hello?"}})
			},
			func(c *ht.Client) *ht.Response {
				return c.PostMultipart(base+"/files", url.Values{"_csrf": {c.CSRF("/profile")}}, ht.File{Field: "files", Name: "x.pdf", Content: pdf})
			},
		}
	}
	check := func(who string, c *ht.Client, id, file, secret string) {
		t.Helper()
		for i, probe := range probes(id, file) {
			r := probe(c)
			if r.StatusCode != http.StatusNotFound {
				t.Errorf("%s, probe %d on %s: status %d, want 404", who, i, r.Request.URL.Path, r.StatusCode)
			}
			if strings.Contains(r.Body, secret) {
				t.Errorf("%s, probe %d: the 404 page names the claim", who, i)
			}
		}
	}
	check("Fabrikam's admin on Contoso's claim", other, mine, mineFile, "Contoso Customer M365")
	check("the user scoped to 1000001 on a claim of 1000002", user, outside, outsideFile, "Secret Debrecen deal")
	// A file of another claim through a claim you may see.
	for _, path := range []string{"/claims/" + theirs + "/files/" + mineFile, "/claims/" + mine + "/files/" + outsideFile} {
		c := other
		if strings.HasPrefix(path, "/claims/"+mine) {
			c = user
		}
		if r := c.Get(path); r.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", path, r.StatusCode)
		}
	}
	// Nothing was changed by the probes.
	if n := env.QueryInt(t, `SELECT count(*) FROM claim_history WHERE kind IN ('comment', 'edit')`); n != 0 {
		t.Errorf("%d comments or edits written by refused requests", n)
	}
	if n := env.QueryInt(t, `SELECT count(*) FROM claim_files`); n != 3 {
		t.Errorf("%d files, want the 3 uploaded by their owners", n)
	}
	// The owners still see their claims.
	ht.WantStatus(t, user.Get("/claims/"+mine+"/files/"+mineFile), http.StatusOK)
	ht.WantStatus(t, admin.Get("/claims/"+outside), http.StatusOK)
}

// TestUserCannotSubmit: an incentives user asks the admin instead; Submit
// is not offered and is refused if posted.
func TestUserCannotSubmit(t *testing.T) {
	t.Parallel()
	env := ht.New(t)
	user := env.NewClient(t)
	user.LoginAs(ht.UserEmail)
	id := createClaim(t, env, user, m365Form(t, env, "1000001", "Exchange Online"))
	base := "/claims/" + id
	ht.WantStatus(t, upload(t, user, base, "poe.pdf", pdf), http.StatusSeeOther)

	page := user.Get(base)
	if page.Doc().Find(`form[action$="/actions/submit"]`).Length() != 0 {
		t.Error("the claim page offers Submit claim to an incentives user")
	}
	if page.Doc().Find(`form[action$="/actions/request_submission"]`).Length() != 1 {
		t.Error("the claim page does not offer Request submission")
	}
	edit := user.Get(base + "/edit")
	if edit.Doc().Find(`button[name=op][value=submit]`).Length() != 0 {
		t.Error("the edit form offers Submit claim to an incentives user")
	}
	ht.WantStatus(t, user.PostForm(base+"/actions/submit", url.Values{"version": {claimVersion(t, page)}}), http.StatusForbidden)
	r := user.Submit(edit, `form[action="`+base+`"]`, url.Values{"op": {"submit"}})
	ht.WantStatus(t, r, http.StatusForbidden)
	if n := env.QueryInt(t, `SELECT count(*) FROM claims WHERE id = ? AND status = 'editing' AND submitted_at IS NULL`, id); n != 1 {
		t.Error("the user's submission went through")
	}
}

// TestDoubleClickIsOneSubmission: the second of two identical Submit
// requests answers "Already done." and changes nothing, from the claim page
// and from the edit form.
func TestDoubleClickIsOneSubmission(t *testing.T) {
	t.Parallel()
	env := ht.New(t)
	admin := env.NewClient(t)
	admin.LoginAs(ht.AdminEmail)
	for _, from := range []string{"claim page", "edit form"} {
		t.Run(from, func(t *testing.T) {
			id := createClaim(t, env, admin, m365Form(t, env, "1000001", map[string]string{"claim page": "Exchange Online", "edit form": "Microsoft Teams"}[from]))
			base := "/claims/" + id
			ht.WantStatus(t, upload(t, admin, base, "poe.pdf", pdf), http.StatusSeeOther)
			var click func() *ht.Response
			if from == "claim page" {
				page := admin.Get(base)
				v := claimVersion(t, page)
				click = func() *ht.Response { return admin.PostForm(base+"/actions/submit", url.Values{"version": {v}}) }
			} else {
				edit := admin.Get(base + "/edit")
				click = func() *ht.Response {
					return admin.Submit(edit, `form[action="`+base+`"]`, url.Values{"op": {"submit"}})
				}
			}
			first, second := click(), click()
			ht.WantRedirect(t, first, base)
			ht.WantRedirect(t, second, base)
			// Both answers arrive before the browser follows either.
			flashes := admin.Get(second.Location()).Doc().Find(".flash")
			if got, want := strings.TrimSpace(flashes.Last().Text()), "Already done."; got != want {
				t.Errorf("second click flash %q, want %q", got, want)
			}
			if n := env.QueryInt(t, `SELECT count(*) FROM claim_history WHERE claim_id = ? AND kind = 'submit'`, id); n != 1 {
				t.Errorf("%d submissions in the history", n)
			}
			if n := env.QueryInt(t, `SELECT count(*) FROM outbox WHERE claim_id = ? AND kind = 'claim_submitted'`, id); n != 1 {
				t.Errorf("%d submission emails, want one to the creator (who is the partner contact)", n)
			}
			if s := statusText(admin.Get(base)); s != "Submitted" {
				t.Errorf("status %q", s)
			}
		})
	}
}

// TestStaleEditIsAConflict: saving a form over someone else's newer change
// is the 409 page, and the newer change stays.
func TestStaleEditIsAConflict(t *testing.T) {
	t.Parallel()
	env := ht.New(t)
	admin, user := env.NewClient(t), env.NewClient(t)
	admin.LoginAs(ht.AdminEmail)
	user.LoginAs(ht.UserEmail)
	id := createClaim(t, env, user, m365Form(t, env, "1000001", "Exchange Online"))
	base := "/claims/" + id
	stale := admin.Get(base + "/edit")
	fresh := user.Get(base + "/edit")
	ht.WantRedirect(t, user.Submit(fresh, `form[action="`+base+`"]`, url.Values{"name": {"The user's name"}}), base)

	r := admin.Submit(stale, `form[action="`+base+`"]`, url.Values{"name": {"The admin's name"}})
	ht.WantStatus(t, r, http.StatusConflict)
	if !strings.Contains(ht.MainText(r), "This claim changed — reload to see it.") {
		t.Errorf("409 page: %s", ht.MainText(r))
	}
	if r.Doc().Find(`main a[href="`+base+`"]`).Length() == 0 {
		t.Error("the 409 page does not link back to the claim")
	}
	if got := admin.Get(base).Doc().Find("h1").Text(); got != "The user's name" {
		t.Errorf("the claim is named %q", got)
	}
	// An action on a version that moved on is the same 409 page.
	v := claimVersion(t, admin.Get(base))
	ht.WantRedirect(t, user.Submit(user.Get(base+"/edit"), `form[action="`+base+`"]`, url.Values{"name": {"Renamed again"}}), base)
	r = admin.PostForm(base+"/actions/withdraw", url.Values{"version": {v}})
	ht.WantStatus(t, r, http.StatusConflict)
	if statusText(admin.Get(base)) != "Editing" {
		t.Error("the stale withdrawal went through")
	}
}

// TestRetiredWorkloadBlocksSubmission: a draft holding a retired workload
// says so next to the workloads and cannot be submitted until it is
// removed; new claims do not offer it; submitted claims keep it.
func TestRetiredWorkloadBlocksSubmission(t *testing.T) {
	t.Parallel()
	env := ht.New(t)
	admin := env.NewClient(t)
	admin.LoginAs(ht.AdminEmail)
	draft := createClaim(t, env, admin, m365Form(t, env, "1000001", "Exchange Online", "Yammer"))
	base := "/claims/" + draft
	ht.WantStatus(t, upload(t, admin, base, "poe.pdf", pdf), http.StatusSeeOther)
	// Another tenant, so that the key differs from the draft's.
	other := m365Form(t, env, "1000001", "Microsoft Teams", "Yammer")
	other.Set("tenant", "9b1d4e22-7c3a-4f5e-8d2b-1a0c3e5f7b92")
	other.Set("domain", "northwind.test")
	submitted := createClaim(t, env, admin, other)
	ht.WantStatus(t, upload(t, admin, "/claims/"+submitted, "poe.pdf", pdf), http.StatusSeeOther)
	ht.WantRedirect(t, act(t, admin, "/claims/"+submitted, "submit", nil), "/claims/"+submitted)

	env.Exec(t, `UPDATE products SET retired = 1 WHERE name = 'Yammer'`)

	newForm := admin.Get("/claims/new?program=2")
	if strings.Contains(newForm.Doc().Find("fieldset").Text(), "Yammer") {
		t.Error("a new claim offers the retired workload")
	}
	page := admin.Get(base)
	if !strings.Contains(page.Doc().Find("table").Text(), "Retired") {
		t.Error("the claim page does not mark the retired workload")
	}
	r := act(t, admin, base, "submit", nil)
	ht.WantStatus(t, r, http.StatusUnprocessableEntity)
	want := "Yammer is retired and can no longer be claimed. Remove it to submit."
	if got := cfError(r, "workloads"); !strings.Contains(got, want) {
		t.Errorf("workloads message %q, want %q", got, want)
	}
	if statusText(admin.Get(base)) != "Editing" {
		t.Fatal("the draft with a retired workload was submitted")
	}
	// Saving with the retired workload still on the draft is allowed.
	edit := admin.Get(base + "/edit")
	yammer := productID(t, env, "Yammer")
	if edit.Doc().Find(`input[name=workloads][value="`+yammer+`"][checked]`).Length() != 1 {
		t.Fatal("the edit form does not show the retired workload on the draft")
	}
	ht.WantRedirect(t, admin.Submit(edit, `form[action="`+base+`"]`, url.Values{"name": {"Still with Yammer"}}), base)
	// Remove it, then submit.
	edit = admin.Get(base + "/edit")
	r = admin.Submit(edit, `form[action="`+base+`"]`, url.Values{"workloads": {productID(t, env, "Exchange Online")}, "op": {"submit"}})
	ht.WantRedirect(t, r, base)
	if s := statusText(admin.Get(base)); s != "Submitted" {
		t.Errorf("after removing the retired workload: %q", s)
	}
	// The submitted claim keeps it.
	sp := admin.Get("/claims/" + submitted)
	if !strings.Contains(sp.Doc().Find("table").Text(), "Yammer") {
		t.Error("the submitted claim lost its retired workload")
	}
}

// Deleting the newest draft does not free its number for the next claim.
func TestDeletedDraftNumberIsNotReused(t *testing.T) {
	env := ht.New(t)
	c := env.NewClient(t)
	c.LoginAs(ht.AdminEmail)
	first := createClaim(t, env, c, m365Form(t, env, "1000001", "Exchange Online"))
	ht.WantRedirect(t, act(t, c, "/claims/"+first, "delete", nil), "/claims")
	second := createClaim(t, env, c, m365Form(t, env, "1000001", "Exchange Online"))
	if second == first {
		t.Fatalf("the deleted draft's number %s was given to the next claim", first)
	}
}
