package emails_test

import (
	"testing"
	"time"

	"cpor/models"
	"cpor/views/emails"
)

// BenchmarkComposeClaimMail renders one partner email (subject, text and
// HTML parts), as the worker queues two per claim that becomes official.
func BenchmarkComposeClaimMail(b *testing.B) {
	d := models.ClaimMail{Number: "C-0100042", Name: "Contoso Customer — Microsoft 365 rollout", OrgName: "Contoso Partners",
		MPNID: "1000001", ProgramName: "OSU – Microsoft 365", ActivityName: "Deployment", TenantName: "Fabrikam Ltd",
		TenantID: "6f1c1f3e-0b39-4c55-9a49-6a3f3b9e2d11", Domain: "fabrikam.test", Lines: []string{"Microsoft 365 E3 (sub-1)", "Teams Phone (sub-2)"},
		Status: models.StatusOfficial, Deadline: models.At(time.Date(2026, 12, 2, 17, 0, 0, 0, time.UTC)), ClaimURL: "https://cpor.test/claims/100042", ForUser: true}
	m := &models.Mail{Kind: "claim_official", To: "anna@contoso.test", ToName: "Anna Admin", Lang: "en", ClaimID: 100042, Data: d}
	b.ReportAllocs()
	for b.Loop() {
		if _, _, _, err := (emails.Composer{}).Compose(m); err != nil {
			b.Fatal(err)
		}
	}
}
