package browser_test

import (
	"strings"
	"testing"
	"time"

	ht "cpor/handlers/handlertest"
	"cpor/models"
)

// Journey 2: a Business Applications claim on subscription
// 11111111-1111-4111-8111-111111111111 is approved; the customer accepts
// and it is Official.
func TestJourney2AcceptOfficial(t *testing.T) {
	t.Parallel()
	s := newSession(t)
	admin := s.Person("admin")
	admin.SignIn(ht.AdminEmail)
	admin.Press("New claim")
	admin.Choose(programBizApps)
	admin.Press("Continue")
	admin.Fill("Customer tenant ID", demoTenant)
	admin.Fill("Customer domain", demoDomain)
	admin.Select("Activity", "Usage")
	admin.Select("Partner location (MPN ID)", "1000001")
	admin.Select("Product", "Dynamics 365 Sales") // the first line
	admin.Fill("Subscription ID", salesSub)
	admin.Fill("Claim name", "Contoso Customer — Dynamics 365 Sales")
	admin.Fill("Customer contact name", "Ivan Admin")
	admin.Fill("Customer contact title", "IT lead")
	admin.Fill("Customer contact email", customerEN)
	admin.Press("Save draft")
	admin.See("Draft saved. Upload proof of execution next.", "Dynamics 365 Sales", salesSub)
	id := claimIDOf(t, admin.Path())
	number := models.ClaimNumber(id)
	admin.Upload("Choose files", writeFile(t, "poe.pdf", pdf))
	admin.Press("Upload file")
	admin.Press("Submit claim")
	admin.See("Claim submitted to the program.", "Submitted", "Waiting on the program")

	rev := s.Person("reviewer")
	rev.SignIn(ht.ReviewerEmail)
	rev.Press(number)
	rev.Press("Start review")
	rev.In("Approve", func() { rev.Press("Approve") })
	rev.See("Approved. The customer has been emailed.", "Approved: consent period")

	consent := waitMail(t, s.Env, customerEN, number)
	if !strings.Contains(consent.Text, salesSub) || !strings.Contains(consent.Text, "Dynamics 365 Sales") {
		t.Errorf("the consent email does not name the product and subscription:\n%s", consent.Text)
	}
	cust := s.Person("customer")
	cust.Open(ht.LinkIn(consent, "/c/"))
	cust.See("Contoso Partners", "Dynamics 365 Sales", salesSub)
	cust.Press("Accept association")
	cust.See("id:customer.done_accept", "Official since")
	if cust.Can("Accept association") || cust.Can("Opt out") {
		t.Error("the customer can still decide after accepting")
	}

	admin.Open(base(id))
	admin.See("Official", "Nothing pending", "Official since")
	waitMail(t, s.Env, ht.AdminEmail, number+" is official")
	waitMail(t, s.Env, customerEN, "You accepted") // the receipt
}

// Journey 3: an approved claim nobody acts on. One minute before the
// deadline it is still in its consent period; at the deadline it is
// Official; later the customer ends it.
func TestJourney3Deadline(t *testing.T) {
	t.Parallel()
	s := newSession(t)
	sd := newSeeder(t, s.Env)
	id := sd.m365(sd.user, "1000001", "Contoso Customer — Intune", "Microsoft Intune")
	link := sd.approved(sd.admin, id)
	d := claimOf(t, s.Env, id).ConsentDueAt.Time
	// Approved Wednesday 10:00 (the harness's start): five business days
	// later is the next Wednesday, so D is Thursday 00:00, shown as
	// "Wednesday 24:00".
	if want := time.Date(2026, time.March, 12, 0, 0, 0, 0, time.UTC); !d.Equal(want) {
		t.Fatalf("consent deadline %s, want %s", d, want)
	}

	at(t, s.Env, d.Add(-time.Minute))
	user := s.Person("user")
	user.SignIn(ht.UserEmail)
	user.Open(base(id))
	user.See("Approved: consent period", "Waiting on the customer", "24:00")
	cust := s.Person("customer")
	cust.Open(link)
	cust.See("24:00")
	if !cust.Can("Opt out") || !cust.Can("Accept association") {
		t.Error("one minute before the deadline the customer can no longer decide")
	}

	at(t, s.Env, d)
	user.Open(base(id))
	user.See("Official", "Nothing pending")
	cust.Open(link)
	cust.See("Official since")
	if cust.Can("Opt out") {
		t.Error("at the deadline the customer can still opt out")
	}
	waitMail(t, s.Env, ht.UserEmail, models.ClaimNumber(id)+" is official")

	at(t, s.Env, d.Add(20*24*time.Hour))
	cust.Open(link)
	cust.Press("End association") // the link to the confirmation step
	cust.See("End this association?")
	cust.Press("End association") // the confirmation
	cust.See("The association has ended.")

	user.Open(base(id)) // weeks later: the session has ended, sign in again
	if strings.HasPrefix(user.Path(), "/login") {
		user.SignInHere(ht.UserEmail)
	}
	user.See("Ended — Customer ended association")
	waitMail(t, s.Env, ht.UserEmail, "association ended")
}

// Journey 4: Fabrikam claims a workload Contoso holds; the reviewer sees
// both side by side and approves Fabrikam; when Fabrikam's claim becomes
// Official, Contoso's line ends as Superseded; both are emailed.
func TestJourney4Competing(t *testing.T) {
	t.Parallel()
	s := newSession(t)
	sd := newSeeder(t, s.Env)
	contoso := sd.m365(sd.user, "1000001", "Contoso Customer — Exchange", "Exchange Online")
	sd.official(sd.admin, contoso)
	contosoNumber := models.ClaimNumber(contoso)

	fab := s.Person("fabrikam-admin")
	fab.SignIn(ht.OtherAdminEmail)
	fab.Press("New claim")
	fab.Choose(programM365)
	fab.Press("Continue")
	fab.Fill("Customer tenant ID", demoTenant)
	fab.Fill("Customer domain", demoDomain)
	fab.Select("Activity", "Usage")
	fab.Check("Exchange Online")
	fab.Fill("Claim name", "Fabrikam — Contoso Customer Exchange")
	fab.Fill("Customer contact name", "Ivan Admin")
	fab.Fill("Customer contact title", "IT lead")
	fab.Fill("Customer contact email", customerEN)
	fab.Press("Save draft")
	id := claimIDOf(t, fab.Path())
	number := models.ClaimNumber(id)
	fab.Upload("Choose files", writeFile(t, "fabrikam-poe.pdf", pdf))
	fab.Press("Upload file")
	fab.Press("Submit claim")
	fab.See("Another partner also claims this; the program will decide.")
	fab.DontSee("Contoso Partners", contosoNumber)

	rev := s.Person("reviewer")
	rev.SignIn(ht.ReviewerEmail)
	rev.Press(number)
	rev.Press("Start review")
	side := rev.PartText("Competing claims, side by side")
	for _, want := range []string{number, "Fabrikam Services", contosoNumber, "Contoso Partners", "Official", "fabrikam-poe.pdf", "poe.pdf"} {
		if !strings.Contains(side, want) {
			t.Errorf("the side-by-side view does not show %q:\n%s", want, side)
		}
	}
	rev.In("Approve", func() { rev.Press("Approve") })
	rev.See("Approved: consent period")

	cust := s.Person("customer")
	cust.Open(ht.LinkIn(waitMail(t, s.Env, customerEN, number), "/c/"))
	cust.See("Fabrikam Services")
	cust.Press("Accept association")
	cust.See("id:customer.done_accept")

	fab.Open(base(id))
	fab.See("Official")
	user := s.Person("contoso-user")
	user.SignIn(ht.UserEmail)
	user.Open(base(contoso))
	user.See("Ended — Superseded")
	user.DontSee("Fabrikam")
	waitMail(t, s.Env, ht.UserEmail, contosoNumber+": replaced by another partner")
	waitMail(t, s.Env, ht.OtherAdminEmail, number+" is official")
}
