package handlers_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"

	ht "cpor/handlers/handlertest"
)

// The whole journey over HTTP: draft, request submission, submit, review,
// information request, resubmission, approval, the consent email, opt-out.
func TestJourneyOptOut(t *testing.T) {
	env := ht.New(t)
	user := env.NewClient(t)
	user.LoginAs(ht.UserEmail)
	admin := env.NewClient(t)
	admin.LoginAs(ht.AdminEmail)
	rev := env.NewClient(t)
	rev.LoginAs(ht.ReviewerEmail)

	id := createClaim(t, env, user, m365Form(t, env, "1000001", "Exchange Online", "Microsoft Teams"))
	base := "/claims/" + id
	ht.WantStatus(t, upload(t, user, base, "poe.pdf", pdf), 303)

	r := act(t, user, base, "request_submission", nil)
	ht.WantRedirect(t, r, base)
	mail := env.WaitForMail(t, ht.To(ht.AdminEmail))
	if !strings.Contains(mail.Subject, "CA-") {
		t.Errorf("request-submission subject %q", mail.Subject)
	}
	if p := user.Get(base); !strings.Contains(ht.MainText(p), "Waiting on your admin") {
		t.Errorf("user should see Waiting on your admin:\n%s", ht.MainText(p))
	}

	ht.WantRedirect(t, act(t, admin, base, "submit", nil), base)
	// A double click: the second submit with the old version is "Already done".
	page := admin.Get(base)
	if statusText(page) != "Submitted" {
		t.Fatalf("status after submit = %q", statusText(page))
	}

	rbase := "/review/claims/" + id
	ht.WantRedirect(t, act(t, rev, rbase, "start_review", nil), rbase)
	ht.WantRedirect(t, act(t, rev, rbase, "request_info", url.Values{"reasons": {"missing_ack"}, "note": {"Add the signed acknowledgment."}}), rbase)
	if p := user.Get(base); statusText(p) != "Action required" || !strings.Contains(ht.MainText(p), "Add the signed acknowledgment.") {
		t.Fatalf("after request info: %q\n%s", statusText(p), ht.MainText(p))
	}
	ht.WantStatus(t, upload(t, user, base, "ack.pdf", pdf), 303)
	ht.WantRedirect(t, act(t, admin, base, "resubmit", nil), base)
	ht.WantRedirect(t, act(t, rev, rbase, "approve", nil), rbase)

	consent := env.WaitForMail(t, ht.To("penzugy@contoso-customer.test"))
	if consent.Header.Get("Content-Language") != "hu" {
		t.Errorf("consent email to the Hungarian contact has language %q", consent.Header.Get("Content-Language"))
	}
	en := env.WaitForMail(t, ht.To("it-admin@contoso-customer.test"))
	link := ht.LinkIn(en, "/c/")
	if link == "" {
		t.Fatalf("no link in consent email:\n%s", en.Text)
	}
	cust := env.NewClient(t)
	p := cust.Get(link)
	ht.WantStatus(t, p, 200)
	if p.Header.Get("Referrer-Policy") != "no-referrer" {
		t.Errorf("customer page Referrer-Policy %q", p.Header.Get("Referrer-Policy"))
	}
	r = cust.PostForm(link+"/opt-out", url.Values{"reason": {"We never hired them."}})
	ht.WantStatus(t, r, 200)

	page = user.Get(base)
	if got := statusText(page); got != "Rejected — Customer opted out" {
		t.Fatalf("status after opt-out = %q", got)
	}
	env.WaitForMail(t, func(m ht.Msg) bool { return m.SentTo(ht.UserEmail) && strings.Contains(m.Subject, "opted out") })
	env.WaitForMail(t, func(m ht.Msg) bool {
		return m.SentTo("it-admin@contoso-customer.test") && strings.Contains(m.Subject, "opted out")
	})
	// Every claim action is in the platform's audit log too: who, from where, what changed.
	if n := env.QueryInt(t, `SELECT count(*) FROM audit_log WHERE kind = 'claim.submit' AND actor = ? AND ip = '127.0.0.1'
		AND object = ? AND detail = 'editing → submitted'`, ht.AdminEmail, "claim:CA-"+fmt.Sprintf("%06s", id)); n != 1 {
		t.Errorf("the submission is %d times in the audit log, want once", n)
	}
	if n := env.QueryInt(t, `SELECT count(*) FROM audit_log WHERE kind = 'claim.customer_opt_out' AND actor LIKE 'customer %'`); n != 1 {
		t.Errorf("the customer's opt-out is %d times in the audit log, want once", n)
	}
	hist := page.Doc().Find(`[data-testid=history]`).Text()
	for _, want := range []string{"Draft created", "Submission requested", "Submitted", "Review started", "Information requested", "Resubmitted", "Approved", "Customer opted out", "We never hired them."} {
		if !strings.Contains(hist, want) {
			t.Errorf("history lacks %q", want)
		}
	}
}
