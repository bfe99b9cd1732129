package handlers_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	ht "cpor/handlers/handlertest"
	"cpor/models"
	"cpor/views"
)

// cfMsg is a catalogue message as the page shows it.
func cfMsg(lang, id string, data map[string]any) string {
	return views.TheCatalog().Text(lang, id, data)
}

// cfError is the text of the message shown next to a field (#f-<name>-error).
func cfError(r *ht.Response, field string) string {
	return strings.Join(strings.Fields(r.Doc().Find("#f-"+field+"-error").Text()), " ")
}

// cfValue is what an input of the form holds.
func cfValue(r *ht.Response, field string) string {
	v, _ := r.Doc().Find("#f-" + field).Attr("value")
	return v
}

// cfSetLanguage makes the person's profile language lang.
func cfSetLanguage(t *testing.T, env *ht.Env, email, lang string) {
	t.Helper()
	env.Exec(t, `UPDATE users SET language = ? WHERE email = ?`, lang, email)
}

// cfWantMsg checks that the field shows the message in the language.
func cfWantMsg(t *testing.T, r *ht.Response, lang, field, id string, data map[string]any) {
	t.Helper()
	want := cfMsg(lang, id, data)
	if lang == "hu" {
		if !views.TheCatalog().Has("hu", id) || want == cfMsg("en", id, data) {
			t.Errorf("%s has no Hungarian text in views/locales/hu", id)
		}
	}
	if got := cfError(r, field); !strings.Contains(got, want) {
		t.Errorf("next to %s: %q, want %q", field, got, want)
	}
	if inv, _ := r.Doc().Find("#f-" + field).Attr("aria-invalid"); inv != "true" && r.Doc().Find("#f-"+field).Length() > 0 {
		t.Errorf("%s is not marked aria-invalid", field)
	}
}

// TestClaimFormMessages shows every message of SPEC §4.1 next to its field,
// in English and in Hungarian, keeping what was typed: the save-time checks
// when a draft is saved, the rest when it is submitted.
func TestClaimFormMessages(t *testing.T) {
	t.Parallel()
	for _, lang := range []string{"en", "hu"} {
		t.Run(lang, func(t *testing.T) {
			t.Parallel()
			env := ht.New(t)
			cfSetLanguage(t, env, ht.AdminEmail, lang)
			c := env.NewClient(t)
			c.LoginAs(ht.AdminEmail)
			c.Get("/claims/new?program=2")
			post := func(t *testing.T, form url.Values) *ht.Response {
				t.Helper()
				r := c.PostForm("/claims", form)
				ht.WantStatus(t, r, http.StatusUnprocessableEntity)
				if l, _ := r.Doc().Find("html").Attr("lang"); l != lang {
					t.Errorf("page language %q", l)
				}
				return r
			}
			base := func() url.Values { return m365Form(t, env, "1000001", "Exchange Online") }
			with := func(k, v string) url.Values { f := base(); f.Set(k, v); return f }

			t.Run("location", func(t *testing.T) {
				r := post(t, with("location", locationID(t, env, "1000002"))) // OSA Sell only
				cfWantMsg(t, r, lang, "location", "claim.err_location", nil)
				if cfValue(r, "name") != "Contoso Customer M365" || cfValue(r, "tenant") != demoTenant {
					t.Error("what was typed is lost")
				}
			})
			for _, d := range []string{"northwind.test", "sub.contoso-customer.test"} {
				t.Run("domain "+d, func(t *testing.T) {
					r := post(t, with("domain", d))
					cfWantMsg(t, r, lang, "domain", "claim.err_domain_mismatch", nil)
					if cfValue(r, "domain") != d {
						t.Errorf("domain kept as %q", cfValue(r, "domain"))
					}
				})
			}
			t.Run("tenant format", func(t *testing.T) {
				r := post(t, with("tenant", "7f3c2a10-5b6e"))
				cfWantMsg(t, r, lang, "tenant", "claim.err_tenant_format", nil)
				if cfValue(r, "tenant") != "7f3c2a10-5b6e" {
					t.Errorf("tenant kept as %q", cfValue(r, "tenant"))
				}
			})
			t.Run("tenant unknown", func(t *testing.T) {
				r := post(t, with("tenant", "00000000-0000-4000-8000-000000000000"))
				cfWantMsg(t, r, lang, "tenant", "claim.err_tenant_unknown", nil)
			})
			t.Run("activity", func(t *testing.T) {
				r := post(t, with("activity", activityID(t, env, "bizapps", "Presales")))
				cfWantMsg(t, r, lang, "activity", "claim.err_activity", nil)
			})
			t.Run("claim name required", func(t *testing.T) {
				r := post(t, with("name", "   "))
				cfWantMsg(t, r, lang, "name", "err.required", nil)
			})
			t.Run("claim name too long", func(t *testing.T) {
				long := strings.Repeat("ő", models.MaxClaimName+1)
				r := post(t, with("name", long))
				cfWantMsg(t, r, lang, "name", "err.too_long_120", nil)
				if cfValue(r, "name") != long {
					t.Error("the long name is not kept")
				}
			})
			t.Run("subscriptions", func(t *testing.T) {
				c.Get("/claims/new?program=3")
				sales, cs, fs := productID(t, env, "Dynamics 365 Sales"), productID(t, env, "Customer Service"), productID(t, env, "Field Service")
				form := url.Values{"program": {strconv.Itoa(programBA)}, "location": {locationID(t, env, "1000001")},
					"tenant": {demoTenant}, "domain": {demoDomain}, "activity": {activityID(t, env, "bizapps", "Usage")},
					"name": {"Dynamics"}, "rows": {"5"}}
				rows := []struct{ product, sub, msg string }{
					{sales, "99999999-9999-4999-8999-999999999999", "claim.err_sub_not_on_tenant"},
					{cs, "11111111-1111-4111-8111-111111111111", "claim.err_sub_other_product"},
					{sales, "33333333-3333-4333-8333-333333333333", "claim.err_sub_csp"},
					{cs, "44444444-4444-4444-8444-444444444444", "claim.err_sub_not_active"},
					{fs, "55555555-5555-4555-8555-555555555555", "claim.err_sub_ended"},
				}
				for i, row := range rows {
					form.Set("product_"+strconv.Itoa(i), row.product)
					form.Set("subscription_"+strconv.Itoa(i), row.sub)
				}
				r := post(t, form)
				for i, row := range rows {
					n := strconv.Itoa(i)
					cfWantMsg(t, r, lang, "product_"+n, row.msg, nil)
					if cfValue(r, "subscription_"+n) != row.sub {
						t.Errorf("line %d: subscription kept as %q", i, cfValue(r, "subscription_"+n))
					}
					if v, _ := r.Doc().Find("#f-product_" + n + " option[selected]").Attr("value"); v != row.product {
						t.Errorf("line %d: product kept as %q", i, v)
					}
				}
			})
			t.Run("same organisation, same key", func(t *testing.T) {
				// Case, spaces and a trailing dot do not matter.
				form := with("domain", " CONTOSO-CUSTOMER.TEST. ")
				form.Set("tenant", "  "+strings.ToUpper(demoTenant)+" ")
				first := createClaim(t, env, c, form)
				r := post(t, base())
				num, _ := strconv.ParseInt(first, 10, 64)
				data := map[string]any{"Number": models.ClaimNumber(num)}
				cfWantMsg(t, r, lang, "workloads", "claim.err_same_org", data)
				if href, _ := r.Doc().Find("#f-workloads-error a").First().Attr("href"); href != "/claims/"+first {
					t.Errorf("the message links %q, want /claims/%s", href, first)
				}
				if r.Doc().Find(`input[name=workloads][checked]`).Length() != 1 {
					t.Error("the chosen workload is not kept")
				}
			})

			t.Run("submit-time checks", func(t *testing.T) {
				// Saving needs only the save-time facts: no workload, no
				// contacts and no file are fine for a draft.
				form := m365Form(t, env, "1000001")
				for _, k := range []string{"customer_name", "customer_title", "customer_email", "partner_name", "partner_email"} {
					form.Set(k, "")
				}
				form.Set("name", "Draft to finish")
				id := createClaim(t, env, c, form)
				edit := c.Get("/claims/" + id + "/edit")
				ht.WantStatus(t, edit, http.StatusOK)
				r := c.Submit(edit, `form[action="/claims/`+id+`"]`, url.Values{"op": {"submit"}, "customer_email": {"not-an-address"}})
				ht.WantStatus(t, r, http.StatusUnprocessableEntity)
				for field, id := range map[string]string{
					"customer_name": "err.required", "customer_title": "err.required", "customer_email": "err.email",
					"partner_name": "err.required", "partner_email": "err.required", "workloads": "claim.err_workloads",
				} {
					cfWantMsg(t, r, lang, field, id, nil)
				}
				poe := strings.Join(strings.Fields(r.Doc().Find(".card.has-error .field-error").Text()), " ")
				if want := cfMsg(lang, "claim.err_poe_missing", nil); !strings.Contains(poe, want) {
					t.Errorf("proof of execution: %q, want %q", poe, want)
				}
				if cfValue(r, "customer_email") != "not-an-address" {
					t.Errorf("customer email kept as %q", cfValue(r, "customer_email"))
				}
				if notice := r.Doc().Find(".notice-error").Text(); !strings.Contains(notice, cfMsg(lang, "claim.fix_to_submit", nil)) {
					t.Errorf("no submit notice: %q", notice)
				}
				if got := env.QueryInt(t, `SELECT count(*) FROM claims WHERE id = ? AND status = 'editing'`, id); got != 1 {
					t.Error("the refused submission changed the status")
				}

				// Files are checked on the claim page, from their content.
				base := "/claims/" + id
				r = upload(t, c, base, "proof.pdf", []byte("<!DOCTYPE html><html><body>not a pdf</body></html>"))
				ht.WantStatus(t, r, http.StatusUnprocessableEntity)
				cfWantMsg(t, r, lang, "files", "claim.err_file_type", nil)
				big := make([]byte, models.MaxFileBytes+1)
				copy(big, "%PDF-1.7\n")
				r = upload(t, c, base, "big.pdf", big)
				ht.WantStatus(t, r, http.StatusUnprocessableEntity)
				cfWantMsg(t, r, lang, "files", "claim.err_file_size", nil)
				if n := env.QueryInt(t, `SELECT count(*) FROM claim_files WHERE claim_id = ?`, id); n != 0 {
					t.Errorf("%d refused files were stored", n)
				}
			})
		})
	}
}
