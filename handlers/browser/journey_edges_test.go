package browser_test

import (
	"bytes"
	"strings"
	"testing"

	ht "cpor/handlers/handlertest"
)

// Journey 5: the claim form with every field empty or wrong shows each
// message next to its field (tied to it, so a screen reader says it too)
// and keeps the rest; a file of the wrong type or too large is refused
// with its message.
func TestJourney5BadInput(t *testing.T) {
	t.Parallel()
	s := newSession(t)
	user := s.Person("user")
	user.SignIn(ht.UserEmail)
	user.Press("New claim")
	user.Choose(programM365)
	user.Press("Continue")

	// Everything empty.
	user.Select("Partner location (MPN ID)", "id:form.choose")
	user.PressWant("Save draft", 422)
	user.See("Some fields need your attention. Each message is next to its field.")
	user.SaysAt("Customer tenant ID", "Enter the tenant ID as a GUID, e.g. 7f3c2a10-5b6e-4c1d-9a8f-0e2d4b6c8a01.")
	user.SaysAt("Customer domain", "Enter the customer's domain, such as contoso.com.")
	user.SaysAt("Activity", "Choose an activity of this program.")
	user.SaysAt("Partner location (MPN ID)", "Choose a location enrolled in this program.")
	user.SaysAt("Claim name", "Required.")

	// Wrong values; what was right is kept.
	user.Fill("Customer tenant ID", "7f3c2a10-not-a-guid")
	user.Fill("Customer domain", "not a domain")
	user.Select("Activity", "Usage")
	user.Select("Partner location (MPN ID)", "1000001")
	user.Check("Exchange Online")
	user.Fill("Claim name", "Kept as typed: <b>bold</b> & “quotes”")
	user.Fill("Customer contact title", "IT lead")
	user.Fill("Customer contact email", "not-an-email")
	user.PressWant("Save draft", 422)
	user.SaysAt("Customer tenant ID", "Enter the tenant ID as a GUID, e.g. 7f3c2a10-5b6e-4c1d-9a8f-0e2d4b6c8a01.")
	user.SaysAt("Customer domain", "Enter the customer's domain, such as contoso.com.")
	kept := map[string]string{
		"Customer tenant ID": "7f3c2a10-not-a-guid", "Customer domain": "not a domain", "Activity": "Usage",
		"Claim name": "Kept as typed: <b>bold</b> & “quotes”", "Customer contact title": "IT lead",
		"Customer contact email": "not-an-email", "Partner contact email": ht.UserEmail,
	}
	for label, want := range kept {
		if got := user.Value(label); got != want {
			t.Errorf("after the refusal %q holds %q, want %q as typed", label, got, want)
		}
	}
	if got := user.Value("Partner location (MPN ID)"); !strings.HasPrefix(got, "1000001") {
		t.Errorf("the location was not kept: %q", got)
	}
	if !user.checked(user.match(axMatch{roles: checkRole, name: "Exchange Online"})) {
		t.Error("the ticked workload was not kept")
	}

	// A tenant the program does not know, then a domain of another tenant.
	user.Fill("Customer tenant ID", "00000000-0000-4000-8000-000000000000")
	user.Fill("Customer domain", demoDomain)
	user.PressWant("Save draft", 422)
	user.SaysAt("Customer tenant ID", "No tenant with this ID is known to the program.")
	user.Fill("Customer tenant ID", "  "+strings.ToUpper(demoTenant)+" ") // any case, spaces trimmed
	user.Fill("Customer domain", otherDomain)
	user.PressWant("Save draft", 422)
	user.SaysAt("Customer domain", "Domain and tenant ID don't match. Confirm them with your customer.")

	user.Fill("Customer domain", demoDomain)
	user.Press("Save draft")
	user.See("Draft saved. Upload proof of execution next.", "Kept as typed: <b>bold</b> & “quotes”")
	id := claimIDOf(t, user.Path())

	// Asking for submission checks everything else.
	user.Press("Edit")
	user.Uncheck("Exchange Online")
	user.Fill("Customer contact name", "")
	user.PressWant("Request submission", 422)
	user.See("This claim cannot be submitted yet. Each missing or wrong item is marked next to its field.")
	user.SaysAt("Workloads", "Choose at least one workload.")
	user.SaysAt("Customer contact name", "Required.")
	user.SaysAt("Customer contact email", "Enter an email address.")
	if poe := user.PartText("Proof of execution"); !strings.Contains(poe, "Add at least one proof of execution file before submitting.") {
		t.Errorf("the missing proof of execution is not explained in its part: %q", poe)
	}
	if got := user.Value("Customer contact title"); got != "IT lead" {
		t.Errorf("the contact title was not kept: %q", got)
	}

	// Files: the wrong type, then too large.
	user.Open(base(id))
	user.Upload("Choose files", writeFile(t, "notes.txt", []byte("just some notes, not a proof")))
	user.PressWant("Upload file", 422)
	user.SaysAt("Choose files", "Upload a PDF, DOCX, PNG or JPEG file.")
	big := append(append([]byte(nil), pdf...), bytes.Repeat([]byte{' '}, 10<<20)...)
	user.Upload("Choose files", writeFile(t, "scan.pdf", big))
	user.PressWant("Upload file", 422)
	user.SaysAt("Choose files", "Files can be at most 10 MB.")
	user.See("No files yet.")

	// A Business Applications line: the subscription's message is said at
	// its Subscription ID too, not only at its Product.
	user.Press("New claim")
	user.Choose(programBizApps)
	user.Press("Continue")
	user.Fill("Customer tenant ID", demoTenant)
	user.Fill("Customer domain", demoDomain)
	user.Select("Activity", "Usage")
	user.Select("Product", "Dynamics 365 Sales")
	user.Fill("Subscription ID", "33333333-3333-4333-8333-333333333333")
	user.Fill("Claim name", "Contoso Customer — Sales")
	user.PressWant("Save draft", 422)
	user.SaysAt("Subscription ID", "CSP subscriptions are claimed by the transacting partner, not through CPOR.")
	user.SaysAt("Product", "CSP subscriptions are claimed by the transacting partner, not through CPOR.")
	user.Fill("Subscription ID", "55555555-5555-4555-8555-555555555555")
	user.PressWant("Save draft", 422)
	user.SaysAt("Subscription ID", "This subscription is for another product.")
	user.Select("Product", "Field Service")
	user.PressWant("Save draft", 422)
	user.SaysAt("Subscription ID", "This subscription has ended.")
	if got := user.Value("Product"); got != "Field Service" {
		t.Errorf("the product was not kept: %q", got)
	}
}

// Journey 6: security as a browser sees it. Another organisation's claim is
// the not-found page; after Sign out, Back shows no private data; a
// customer link with one character changed is not found.
func TestJourney6Security(t *testing.T) {
	t.Parallel()
	s := newSession(t)
	sd := newSeeder(t, s.Env)
	id := sd.m365(sd.user, "1000001", "Contoso Customer — confidential", "Exchange Online")
	link := sd.approved(sd.admin, id)

	fab := s.Person("fabrikam-admin")
	fab.SignIn(ht.OtherAdminEmail)
	for _, path := range []string{base(id), base(id) + "/edit", base(id) + "/poe-template", base(id) + "/confirm/withdraw"} {
		fab.OpenWant(path, 404)
		fab.See("Not found")
		fab.DontSee("Contoso Customer — confidential", demoTenant, "Contoso Partners")
	}
	fab.Press("Claims")
	fab.DontSee("Contoso Customer — confidential")

	user := s.Person("user")
	user.SignIn(ht.UserEmail)
	user.Open(base(id))
	user.See("Contoso Customer — confidential", demoTenant)
	user.Press("Sign out")
	user.See("You are signed out.")
	user.Back(200)
	if !strings.HasPrefix(user.Path(), "/login") {
		t.Errorf("Back after signing out shows %s, want the sign-in page", user.Path())
	}
	user.DontSee("Contoso Customer — confidential", demoTenant, "Ivan Admin", customerEN)

	cust := s.Person("customer")
	changed := []byte(link)
	last := len(changed) - 1
	if changed[last] == 'A' {
		changed[last] = 'B'
	} else {
		changed[last] = 'A'
	}
	cust.OpenWant(string(changed), 404)
	cust.See("Not found")
	cust.DontSee("Contoso Partners", "Exchange Online")
	cust.Open(link)
	cust.See("Contoso Partners")
}
