package models

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestAddLocationChecksTheMPNID(t *testing.T) {
	s, _ := admTestStore(t)
	ctx := context.Background()
	org, err := s.OrganisationByName(ctx, "Fabrikam Services")
	if err != nil {
		t.Fatal(err)
	}
	a := Actor{Label: "operator@program.test"}
	for mpn, want := range map[string]string{
		"":              "err.required",
		"12a4":          "admin.err.mpn_digits",
		"-1":            "admin.err.mpn_digits",
		"1234567890123": "admin.err.mpn_digits",
		"1000001":       "admin.err.mpn_taken", // Contoso's
	} {
		_, err := s.AddLocation(ctx, a, org.ID, LocationInput{MPNID: mpn, Programs: []int64{1}})
		var fe FieldErrors
		if !errors.As(err, &fe) || fe["mpn_id"] != want {
			t.Errorf("MPN ID %q: %v, want %s", mpn, err, want)
		}
	}
	if _, err := s.AddLocation(ctx, a, org.ID, LocationInput{MPNID: "2000002", Programs: []int64{99}}); err == nil {
		t.Error("an unknown program was accepted")
	}
	id, err := s.AddLocation(ctx, a, org.ID, LocationInput{MPNID: " 2000002 ", Name: "Szeged", Programs: []int64{3, 1, 3}})
	if err != nil {
		t.Fatal(err)
	}
	l, err := s.OrgLocation(ctx, org.ID, id)
	if err != nil {
		t.Fatal(err)
	}
	if l.MPNID != "2000002" || len(l.ProgramIDs) != 2 || !l.Enrolled(1) || !l.Enrolled(3) {
		t.Errorf("location %+v", l)
	}
	// Another organisation's location is not found through this one.
	contoso, _ := s.OrganisationByName(ctx, "Contoso Partners")
	if _, err := s.OrgLocation(ctx, contoso.ID, id); !errors.Is(err, ErrNotFound) {
		t.Errorf("another organisation's location: %v", err)
	}
	if err := s.UpdateLocation(ctx, a, contoso.ID, id, LocationInput{Programs: []int64{2}}); !errors.Is(err, ErrNotFound) {
		t.Errorf("updating another organisation's location: %v", err)
	}
}

func TestDisablingAnOrganisationEndsItsSessions(t *testing.T) {
	s, _ := admTestStore(t)
	ctx := context.Background()
	admin := admUser(t, s, "admin@contoso-partner.test")
	user := admUser(t, s, "user@contoso-partner.test")
	other := admUser(t, s, "admin@fabrikam-partner.test")
	var tokens []string
	for _, u := range []*User{admin, user, other} {
		tok, err := s.CreateSession(ctx, u.ID, "")
		if err != nil {
			t.Fatal(err)
		}
		tokens = append(tokens, tok)
	}
	if err := s.SetOrganisationDisabled(ctx, Actor{Label: "op"}, admin.OrganisationID, true); err != nil {
		t.Fatal(err)
	}
	for i, tok := range tokens[:2] {
		if _, err := s.SessionPrincipal(ctx, tok); !errors.Is(err, ErrNotFound) {
			t.Errorf("session %d of the disabled organisation: %v", i, err)
		}
	}
	if _, err := s.SessionPrincipal(ctx, tokens[2]); err != nil {
		t.Errorf("another organisation's session ended: %v", err)
	}
	if n, _ := s.CountSessions(ctx, admin.ID); n != 0 {
		t.Errorf("%d session rows left", n)
	}
	if _, err := s.Authenticate(ctx, admin.Email, DemoPassword); !errors.Is(err, ErrNotFound) {
		t.Errorf("sign-in into a disabled organisation: %v", err)
	}
	if err := s.SetOrganisationDisabled(ctx, Actor{Label: "op"}, admin.OrganisationID, false); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Authenticate(ctx, admin.Email, DemoPassword); err != nil {
		t.Errorf("sign-in after enabling: %v", err)
	}
}

// The business-day rule reads the calendar the operator edits.
func TestHolidaysMoveNewDeadlines(t *testing.T) {
	s, clock := admTestStore(t)
	ctx := context.Background()
	approved := clock.Now() // Wednesday 4 March 2026, 10:00 UTC
	d, err := s.businessDeadline(s.db.R, approved, 5)
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2026, time.March, 12, 0, 0, 0, 0, time.UTC); !d.Equal(want) {
		t.Fatalf("deadline without holidays %v, want %v", d, want)
	}
	if err := s.AddHoliday(ctx, Actor{Label: "op"}, time.Date(2026, time.March, 6, 0, 0, 0, 0, time.UTC), "Test Day"); err != nil {
		t.Fatal(err)
	}
	if d, _ = s.businessDeadline(s.db.R, approved, 5); !d.Equal(time.Date(2026, time.March, 13, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("deadline with a Friday holiday %v, want Friday 13 March 00:00", d)
	}
	if err := s.RemoveHoliday(ctx, Actor{Label: "op"}, "2026-03-06"); err != nil {
		t.Fatal(err)
	}
	if d, _ = s.businessDeadline(s.db.R, approved, 5); !d.Equal(time.Date(2026, time.March, 12, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("deadline after removing the holiday %v", d)
	}
}

func TestRefDataAddAndRetire(t *testing.T) {
	s, _ := admTestStore(t)
	ctx := context.Background()
	a := Actor{Label: "op"}
	id, err := s.AddRefData(ctx, a, RefProduct, RefInput{Name: " Copilot ", Area: AreaM365})
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.AddRefData(ctx, a, RefProduct, RefInput{Name: "copilot", Area: AreaM365})
	var fe FieldErrors
	if !errors.As(err, &fe) || fe["product_name"] != "admin.err.name_taken" {
		t.Errorf("duplicate product: %v", err)
	}
	if err := s.SetRefDataRetired(ctx, a, RefProduct, id, true); err != nil {
		t.Fatal(err)
	}
	ref, _ := s.RefData(ctx)
	p, ok := ref.Product(id)
	if !ok || !p.Retired || p.Granularity != PerWorkload || p.Name != "Copilot" {
		t.Errorf("product %+v", p)
	}
	for _, x := range ref.ProductsOf(AreaM365) {
		if x.ID == id {
			t.Error("a retired product is offered for new claims")
		}
	}
	if err := s.SetRefDataRetired(ctx, a, "nonsense", id, true); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown kind: %v", err)
	}
}
