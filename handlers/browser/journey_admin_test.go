package browser_test

import (
	"strings"
	"testing"

	ht "cpor/handlers/handlertest"
)

// Journey 8: administration. A partner admin invites a user, who sets a
// password from the emailed link and signs in; an operator imports a
// directory CSV with one bad row, reads the report, corrects the row and
// imports again.
func TestJourney8Administration(t *testing.T) {
	t.Parallel()
	s := newSession(t)
	const newcomer = "nora.new@contoso-partner.test"

	admin := s.Person("admin")
	admin.SignIn(ht.AdminEmail)
	admin.Press("Users")
	admin.Press("Invite a colleague")
	admin.Fill("id:field.email", newcomer)
	admin.Fill("Name (optional)", "Nora New")
	admin.Choose("Incentives user")
	admin.Check("1000001")
	admin.Select("Language of the invitation email", "English")
	admin.Press("Send invitation")
	admin.See(newcomer)

	invite := waitMail(t, s.Env, newcomer, "")
	link := ht.LinkIn(invite, "/account/password/")
	if link == "" {
		t.Fatalf("no set-password link in the invitation:\n%s", invite.Text)
	}
	nora := s.Person("newcomer")
	nora.Open(link)
	nora.See("Welcome — set your password", newcomer)
	nora.Fill("New password", "short")
	nora.Fill("Repeat the new password", "short")
	nora.PressWant("Set password", 422)
	nora.SaysAt("New password", "Use at least 12 characters.")
	nora.Fill("New password", "correct horse battery staple")
	nora.Fill("Repeat the new password", "correct horse battery staple")
	nora.Press("Set password")
	nora.See("Your password is set. Sign in with it.")
	nora.Fill("id:field.email", newcomer)
	nora.Fill("id:field.password", "correct horse battery staple")
	nora.Press("id:auth.sign_in")
	if !strings.HasPrefix(nora.Path(), "/dashboard") {
		t.Errorf("after signing in the newcomer is at %s, want the dashboard", nora.Path())
	}
	nora.OpenWant(link, 404) // the link works once
	nora.See("This link has already been used.")

	admin.Press("Users")
	admin.See("Nora New", "Active")

	// The operator imports a directory file with one bad row.
	const newTenant = "3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f"
	rows := []string{
		"kind,tenant_id,tenant_name,value,product,channel,state,contact_name,language",
		"tenant," + newTenant + ",Tailspin Toys Zrt.,,,,,,",
		"domain," + newTenant + ",,tailspin.test,,,,,",
		"contact," + newTenant + ",,it@tailspin.test,,,,Tailspin IT,de",
		"subscription," + newTenant + ",,66666666-6666-4666-8666-666666666666,Dynamics 365 Sales,VL,active,,",
	}
	op := s.Person("operator")
	op.SignIn(ht.OperatorEmail)
	op.Press("Tenant directory")
	op.Press("Import CSV")
	op.Upload("CSV file", writeFile(t, "directory.csv", []byte(strings.Join(rows, "\n")+"\n")))
	op.PressWant("Import", 422)
	op.See("Nothing was imported.", "directory.csv has 1 row to correct.")
	report := op.PartText("Import the tenant directory")
	inOrder(t, "the import report", report, "4", "The language de is neither en nor hu.")
	op.Open("/admin/directory?q=tailspin")
	op.DontSee("Tailspin Toys Zrt.")

	rows[3] = strings.Replace(rows[3], ",de", ",hu", 1)
	op.Open("/admin/directory/import")
	op.Upload("CSV file", writeFile(t, "directory.csv", []byte(strings.Join(rows, "\n")+"\n")))
	op.Press("Import")
	op.See("Imported 4 rows.", "Tailspin Toys Zrt.")
}
