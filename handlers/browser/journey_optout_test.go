package browser_test

import (
	"strings"
	"testing"

	ht "cpor/handlers/handlertest"
	"cpor/models"
)

// Journey 1: an incentives user drafts a Microsoft 365 claim with two
// workloads, uploads a file and requests submission; the admin gets the
// email and submits; the reviewer starts review and requests information;
// the user adds a file, the admin resubmits; the reviewer approves; the
// consent email arrives; the customer opens the link and opts out with a
// reason; the partner sees "Rejected — Customer opted out" and a history
// that tells the whole story.
func TestJourney1OptOut(t *testing.T) {
	t.Parallel()
	optOutJourney(t, "en", true)
}

// Journey 1 again with JavaScript off in every browser: the product works
// without it (SPEC §6).
func TestJourney1WithoutJavaScript(t *testing.T) {
	t.Parallel()
	optOutJourney(t, "en", false)
}

// Journey 7: journey 1 in Hungarian, with the Hungarian consent email to
// the tenant's Hungarian contact.
func TestJourney7Hungarian(t *testing.T) {
	t.Parallel()
	optOutJourney(t, "hu", true)
}

func optOutJourney(t *testing.T, lang string, js bool) {
	s := newSession(t)
	opts := []TabOption{inLanguage(lang)}
	if !js {
		opts = append(opts, withoutJS())
		s.noAxe = true // the same pages, with JavaScript, are checked by TestJourney1OptOut
	}
	customer := customerEN
	if lang == "hu" {
		customer = customerHU
	}

	// The user drafts the claim.
	user := s.Person("user", opts...)
	user.SignIn(ht.UserEmail)
	user.Press("New claim")
	user.Choose(programM365)
	user.Press("Continue")
	user.Fill("Customer tenant ID", demoTenant)
	user.Fill("Customer domain", demoDomain)
	user.Select("Activity", "Usage")
	user.Select("Partner location (MPN ID)", "1000001")
	user.Check("Exchange Online")
	user.Check("Microsoft Teams")
	user.Fill("Claim name", "Contoso Customer — Exchange and Teams")
	user.Fill("Customer contact name", "Ivan Admin")
	user.Fill("Customer contact title", "IT lead")
	user.Fill("Customer contact email", customerEN)
	if got := user.Value("Partner contact email"); got != ht.UserEmail {
		t.Errorf("the partner contact email starts as %q, want the user's own address", got)
	}
	user.Press("Save draft")
	user.See("id:claim.done.created", "Exchange Online", "Microsoft Teams", "id:status.editing")
	id := claimIDOf(t, user.Path())
	number := models.ClaimNumber(id)
	claimURL := base(id)

	user.Upload("id:claim.choose_files", writeFile(t, "proof-of-execution.pdf", pdf))
	user.Press("Upload file")
	user.See("id:claim.done.files", "proof-of-execution.pdf")
	user.Press("Request submission")
	user.See("id:claim.done.request_submission", "id:waiting.admin")

	// The admin follows the emailed link, signs in and submits.
	msg := waitMail(t, s.Env, ht.AdminEmail, number)
	link := ht.LinkIn(msg, claimURL)
	if link == "" {
		t.Fatalf("the request-submission email has no link to the claim:\n%s", msg.Text)
	}
	admin := s.Person("admin", opts...)
	admin.Open(link)
	admin.SignInHere(ht.AdminEmail)
	if admin.Path() != claimURL {
		t.Errorf("after signing in from the email the admin is at %s, want %s", admin.Path(), claimURL)
	}
	admin.Press("Submit claim")
	admin.See("id:claim.done.submit", "id:status.submitted")

	// The reviewer starts review and asks for information.
	rev := s.Person("reviewer", opts...)
	rev.SignIn(ht.ReviewerEmail)
	rev.Press(number)
	rev.Press("Start review")
	rev.See("id:claim.done.start_review", "id:status.under_review")
	rev.In("Request information", func() {
		rev.Check("Missing customer acknowledgment")
		rev.Fill("Note to the partner (optional)", "Please add the customer's signed acknowledgment.")
		rev.Press("Request information")
	})
	rev.See("id:claim.done.request_info", "id:status.action_required")

	// The user adds a file; the admin resubmits.
	user.Open(claimURL)
	user.See("id:status.action_required", "id:reason.missing_ack", "Please add the customer's signed acknowledgment.")
	user.Upload("id:claim.choose_files", writeFile(t, "signed-acknowledgment.pdf", pdf))
	user.Press("Upload file")
	user.See("signed-acknowledgment.pdf")
	waitMail(t, s.Env, ht.UserEmail, number) // "the program needs more information"
	admin.Open(claimURL)
	admin.Press("Resubmit claim")
	admin.See("id:claim.done.resubmit", "id:status.under_review")

	// The reviewer approves.
	rev.Open(reviewBase(id))
	rev.In("Approve", func() { rev.Press("Approve") })
	rev.See("id:claim.done.approve", "id:status.consent")

	// The consent email arrives, in the contact's language.
	consent := waitMail(t, s.Env, customer, number)
	if consent.Language != lang {
		t.Errorf("the consent email to %s has Content-Language %q, want %q", customer, consent.Language, lang)
	}
	if lang == "hu" && !strings.Contains(consent.Text, translate("hu", "id:mail.consent.action")) {
		t.Errorf("the Hungarian consent email is not in Hungarian:\n%s", consent.Text)
	}
	for _, fact := range []string{"Contoso Partners", "1000001", demoTenant, demoDomain, "Exchange Online", "Microsoft Teams"} {
		if !strings.Contains(consent.Text, fact) {
			t.Errorf("the consent email does not name %q:\n%s", fact, consent.Text)
		}
	}
	custLink := ht.LinkIn(consent, "/c/")
	if custLink == "" {
		t.Fatalf("no personal link in the consent email:\n%s", consent.Text)
	}

	// The customer opens the link and opts out with a reason.
	cust := s.Person("customer", opts...)
	cust.Open(custLink)
	cust.See("Contoso Partners", "1000001", "Exchange Online", "Microsoft Teams", number)
	cust.In("id:customer.optout_title", func() {
		cust.Fill("Reason (optional)", "We never hired them.")
		cust.Press("Opt out")
	})
	cust.See("id:customer.done_optout")

	// The partner sees the outcome and the whole story.
	user.Open(claimURL)
	user.See(user.T("id:status.rejected") + " — " + user.T("id:reason.customer_opted_out"))
	history := user.PartText("id:claim.history")
	inOrder(t, "the history", history,
		user.T("id:history.created"), "proof-of-execution.pdf", user.T("id:history.request_submission"),
		user.T("id:history.submit"), user.T("id:history.start_review"), user.T("id:history.request_info"),
		user.T("id:reason.missing_ack"), "signed-acknowledgment.pdf", user.T("id:history.resubmit"),
		user.T("id:history.approve"), user.T("id:history.customer_opt_out"), "We never hired them.")
	for _, want := range []string{user.T("id:history.email"), user.T("id:mailstate.sent"), user.T("id:history.by_customer"), user.T("id:history.by_program")} {
		if !strings.Contains(history, want) {
			t.Errorf("the history does not say %q:\n%s", want, history)
		}
	}
	if strings.Contains(history, customer) {
		t.Errorf("the partner's history shows the customer's address %s:\n%s", customer, history)
	}
	waitMail(t, s.Env, ht.UserEmail, number) // the customer's decision, to the creator
}

// inOrder fails the test unless text holds each part, in order.
func inOrder(t *testing.T, what, text string, parts ...string) {
	t.Helper()
	rest := text
	for _, p := range parts {
		i := strings.Index(rest, p)
		if i < 0 {
			if strings.Contains(text, p) {
				t.Errorf("%s says %q, but not after what comes before it:\n%s", what, p, text)
			} else {
				t.Errorf("%s does not say %q:\n%s", what, p, text)
			}
			return
		}
		rest = rest[i+len(p):]
	}
}
