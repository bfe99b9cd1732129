package handlers_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	ht "cpor/handlers/handlertest"
)

// crClaimNumber is how emails and pages quote a claim ID.
func crClaimNumber(id string) string {
	n, _ := strconv.Atoi(id)
	return fmt.Sprintf("CA-%06d", n)
}

// crApproved takes a new claim through submission, review and approval over
// HTTP and returns its ID and the personal links the two directory
// contacts were emailed.
func crApproved(t *testing.T, env *ht.Env, admin, rev *ht.Client, workload string) (string, map[string]string) {
	t.Helper()
	id := createClaim(t, env, admin, m365Form(t, env, "1000001", workload))
	base := "/claims/" + id
	ht.WantStatus(t, upload(t, admin, base, "poe.pdf", pdf), http.StatusSeeOther)
	ht.WantRedirect(t, act(t, admin, base, "submit", nil), base)
	rbase := "/review/claims/" + id
	ht.WantRedirect(t, act(t, rev, rbase, "start_review", nil), rbase)
	ht.WantRedirect(t, act(t, rev, rbase, "approve", url.Values{"note": {"Looks right."}}), rbase)
	return id, crLinks(t, env, id)
}

// crLinks waits for the newest consent emails of a claim and returns the link each contact got.
func crLinks(t *testing.T, env *ht.Env, id string) map[string]string {
	t.Helper()
	links := map[string]string{}
	for _, to := range []string{"it-admin@contoso-customer.test", "penzugy@contoso-customer.test"} {
		m := env.WaitForMail(t, func(m ht.Msg) bool {
			return m.SentTo(to) && strings.Contains(m.Subject+m.Text, crClaimNumber(id)) && ht.LinkIn(m, "/c/") != ""
		})
		links[to] = ht.LinkIn(m, "/c/")
	}
	return links
}

// crRelogin signs a browser in again after the clock moved past the idle limit.
func crRelogin(c *ht.Client, email string) {
	c.ForgetCSRF()
	c.LoginAs(email)
}

// TestReviewAndConsentOverHTTP walks the customer's side of SPEC §4.5 with
// the real SMTP server: accept makes a claim official at once; silence makes
// it official at D and not a minute before; a resend replaces the old link
// and restarts the deadline; unknown or tampered tokens are 404.
func TestReviewAndConsentOverHTTP(t *testing.T) {
	t.Parallel()
	env := ht.New(t) // Wednesday 4 March 2026, 10:00 UTC
	admin, rev, cust := env.NewClient(t), env.NewClient(t), env.NewClient(t)
	admin.LoginAs(ht.AdminEmail)
	rev.LoginAs(ht.ReviewerEmail)

	accepted, acceptedLinks := crApproved(t, env, admin, rev, "Exchange Online")
	silent, silentLinks := crApproved(t, env, admin, rev, "Microsoft Teams")
	resent, resentLinks := crApproved(t, env, admin, rev, "SharePoint Online")

	// The worked example of SPEC §4.4: approved Wednesday 10:00 → D is
	// the next Thursday 00:00, shown as Wednesday 24:00 UTC.
	const deadline = "Wednesday 11 Mar 2026, 24:00 UTC"
	if w := admin.Get("/claims/" + silent).Doc().Find("[data-testid=waiting]").Text(); !strings.Contains(w, deadline) ||
		!strings.Contains(w, "Waiting on the customer") {
		t.Errorf("waiting line %q, want the customer and %q", w, deadline)
	}
	p := cust.Get(silentLinks["it-admin@contoso-customer.test"])
	ht.WantStatus(t, p, http.StatusOK)
	if !strings.Contains(ht.MainText(p), deadline) {
		t.Errorf("the customer page does not state the deadline %q:\n%s", deadline, ht.MainText(p))
	}

	t.Run("accept makes the claim official at once", func(t *testing.T) {
		link := acceptedLinks["it-admin@contoso-customer.test"]
		r := cust.PostForm(link+"/accept", nil)
		ht.WantStatus(t, r, http.StatusOK)
		if !strings.Contains(ht.MainText(r), "Official since 4 Mar 2026, 10:00") {
			t.Errorf("after accepting: %s", ht.MainText(r))
		}
		if s := statusText(admin.Get("/claims/" + accepted)); s != "Official" {
			t.Errorf("partner page status %q", s)
		}
		env.WaitForMail(t, func(m ht.Msg) bool {
			return m.SentTo(ht.AdminEmail) && strings.Contains(m.Subject+m.Text, crClaimNumber(accepted)) && strings.Contains(m.Subject, "accepted")
		})
		env.WaitForMail(t, func(m ht.Msg) bool {
			return m.SentTo("it-admin@contoso-customer.test") && strings.Contains(m.Subject+m.Text, crClaimNumber(accepted)) && strings.Contains(m.Subject, "accepted")
		})
		// The same contact again: already recorded. Another contact: the first decision won.
		r = cust.PostForm(link+"/accept", nil)
		ht.WantStatus(t, r, http.StatusOK)
		if !strings.Contains(ht.MainText(r), "Your decision was already recorded.") {
			t.Errorf("repeat: %s", ht.MainText(r))
		}
		r = cust.PostForm(acceptedLinks["penzugy@contoso-customer.test"]+"/opt-out", url.Values{"reason": {"Nem."}})
		ht.WantStatus(t, r, http.StatusConflict)
		if s := statusText(admin.Get("/claims/" + accepted)); s != "Official" {
			t.Errorf("a later opt-out changed the claim to %q", s)
		}
		r = cust.PostForm(acceptedLinks["penzugy@contoso-customer.test"]+"/accept", nil)
		ht.WantStatus(t, r, http.StatusConflict)
		if strings.Contains(r.Body, "Your decision was already recorded.") {
			t.Error("a contact who did not decide is told their decision was recorded")
		}
	})

	t.Run("unknown and tampered tokens", func(t *testing.T) {
		link := silentLinks["it-admin@contoso-customer.test"]
		last := link[len(link)-1:]
		swap := "A"
		if last == "A" {
			swap = "B"
		}
		for _, bad := range []string{link[:len(link)-1] + swap, "/c/" + strings.Repeat("x", 43), "/c/short"} {
			r := cust.Get(bad)
			ht.WantStatus(t, r, http.StatusNotFound)
			if !strings.HasPrefix(r.Header.Get("Content-Type"), "text/html") {
				t.Errorf("the 404 is not a page: %q", r.Header.Get("Content-Type"))
			}
			ht.WantStatus(t, cust.PostForm(bad+"/accept", url.Values{"_csrf": {cust.CSRF("/c/new")}}), http.StatusNotFound)
		}
		if s := statusText(admin.Get("/claims/" + silent)); s != "Approved: consent period" {
			t.Errorf("a bad token changed the claim: %q", s)
		}
	})

	t.Run("roles do not cross", func(t *testing.T) {
		ht.WantStatus(t, rev.PostForm("/claims/"+accepted+"/actions/end", url.Values{"_csrf": {rev.CSRF("/profile")}, "version": {"0"}}), http.StatusForbidden)
		ht.WantStatus(t, rev.Get("/claims/"+accepted), http.StatusForbidden)
		ht.WantStatus(t, admin.PostForm("/review/claims/"+silent+"/actions/resend_consent", url.Values{"_csrf": {admin.CSRF("/profile")}, "version": {"0"}}), http.StatusForbidden)
		ht.WantStatus(t, admin.Get("/review/claims/"+silent), http.StatusForbidden)
	})

	t.Run("operators see claims read-only", func(t *testing.T) {
		op := env.NewClient(t)
		op.LoginAs(ht.OperatorEmail)
		for _, id := range []string{accepted, silent} {
			r := op.Get("/admin/claims/" + id)
			ht.WantStatus(t, r, http.StatusOK)
			if n := r.Doc().Find("main form").Length(); n != 0 {
				t.Errorf("the operator's claim page has %d forms", n)
			}
			if n := r.Doc().Find(`main a[href$="/edit"], main a[href*="/confirm/"]`).Length(); n != 0 {
				t.Errorf("the operator's claim page has %d edit or action links", n)
			}
			if !strings.Contains(ht.MainText(r), crClaimNumber(id)) {
				t.Error("the operator's claim page does not show the claim")
			}
		}
	})

	// A day later the reviewer resends the customer email.
	env.Clock.Set(time.Date(2026, 3, 5, 10, 0, 0, 0, time.UTC))
	crRelogin(rev, ht.ReviewerEmail)
	crRelogin(admin, ht.AdminEmail)
	rbase := "/review/claims/" + resent
	ht.WantRedirect(t, act(t, rev, rbase, "resend_consent", nil), rbase)
	newLinks := crLinks(t, env, resent)

	t.Run("resend replaces the old link and restarts the deadline", func(t *testing.T) {
		old := resentLinks["it-admin@contoso-customer.test"]
		if newLinks["it-admin@contoso-customer.test"] == old {
			t.Fatal("the resend reused the old link")
		}
		r := cust.Get(old)
		ht.WantStatus(t, r, http.StatusOK)
		if !strings.Contains(ht.MainText(r), "This link was replaced by a newer email.") {
			t.Errorf("old link page: %s", ht.MainText(r))
		}
		if r.Doc().Find(`form[action$="/accept"]`).Length() != 0 {
			t.Error("the replaced link still offers a decision")
		}
		r = cust.PostForm(old+"/accept", url.Values{"_csrf": {cust.CSRF("/c/new")}})
		ht.WantStatus(t, r, http.StatusConflict)
		if s := statusText(admin.Get("/claims/" + resent)); s != "Approved: consent period" {
			t.Errorf("an old link decided: %q", s)
		}
		p := cust.Get(newLinks["it-admin@contoso-customer.test"])
		ht.WantStatus(t, p, http.StatusOK)
		// Resent Thursday 5 March: five business days → after Thursday 12 March.
		if want := "Thursday 12 Mar 2026, 24:00 UTC"; !strings.Contains(ht.MainText(p), want) {
			t.Errorf("the new link page does not show the new deadline %q:\n%s", want, ht.MainText(p))
		}
		if p.Doc().Find(`form[action$="/accept"]`).Length() != 1 {
			t.Error("the new link offers no decision")
		}
	})

	t.Run("silence: still pending a minute before D, official at D", func(t *testing.T) {
		link := silentLinks["penzugy@contoso-customer.test"]
		env.Clock.Set(time.Date(2026, 3, 11, 23, 59, 0, 0, time.UTC))
		env.RunWorker(t)
		crRelogin(admin, ht.AdminEmail)
		p := cust.Get(link)
		if p.Doc().Find(`form[action$="/accept"]`).Length() != 1 || p.Doc().Find(`form[action$="/opt-out"]`).Length() != 1 {
			t.Errorf("a minute before D the customer cannot decide:\n%s", ht.MainText(p))
		}
		if s := statusText(admin.Get("/claims/" + silent)); s != "Approved: consent period" {
			t.Errorf("a minute before D: %q", s)
		}

		env.Clock.Set(time.Date(2026, 3, 12, 0, 0, 0, 0, time.UTC))
		// Before the worker runs, the customer's page already says Official.
		p = cust.Get(link)
		if !strings.Contains(ht.MainText(p), "Official since 12 Mar 2026, 00:00") || p.Doc().Find(`form[action$="/opt-out"]`).Length() != 0 {
			t.Errorf("at D the customer page says:\n%s", ht.MainText(p))
		}
		r := cust.PostForm(link+"/opt-out", url.Values{"reason": {"Túl késő?"}})
		ht.WantStatus(t, r, http.StatusConflict)
		env.RunWorker(t)
		crRelogin(admin, ht.AdminEmail)
		page := admin.Get("/claims/" + silent)
		if s := statusText(page); s != "Official" {
			t.Errorf("at D after the worker: %q", s)
		}
		if n := env.QueryInt(t, `SELECT count(*) FROM claim_history WHERE claim_id = ? AND kind IN ('customer_opt_out', 'customer_accept')`, silent); n != 0 {
			t.Errorf("a customer decision was recorded at D")
		}
		env.WaitForMail(t, func(m ht.Msg) bool {
			return m.SentTo(ht.AdminEmail) && strings.Contains(m.Subject+m.Text, crClaimNumber(silent)) && strings.Contains(strings.ToLower(m.Subject), "official")
		})
		// The resent claim's deadline is a day later.
		if s := statusText(admin.Get("/claims/" + resent)); s != "Approved: consent period" {
			t.Errorf("the resent claim at the old deadline: %q", s)
		}
	})
}
