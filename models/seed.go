package models

import (
	"context"
	"strings"

	"gorm.io/gorm"
)

// DemoPassword is the password of every demo account.
const DemoPassword = "demo-password-1"

// DemoAccount is one demo sign-in, printed at start-up in dev mode.
type DemoAccount struct {
	Email string
	Role  Role
	Org   string
}

// DemoAccounts are the accounts SeedDemo creates.
var DemoAccounts = []DemoAccount{
	{"admin@contoso-partner.test", RoleAdmin, "Contoso Partners"},
	{"user@contoso-partner.test", RoleUser, "Contoso Partners"},
	{"admin@fabrikam-partner.test", RoleAdmin, "Fabrikam Services"},
	{"reviewer@program.test", RoleReviewer, ""},
	{"operator@program.test", RoleOperator, ""},
}

// demoDirectory is the demo tenant directory in the import format.
const demoDirectory = `kind,tenant_id,tenant_name,value,product,channel,state,contact_name,language
tenant,7f3c2a10-5b6e-4c1d-9a8f-0e2d4b6c8a01,Contoso Customer Ltd,,,,,,
domain,7f3c2a10-5b6e-4c1d-9a8f-0e2d4b6c8a01,,contoso-customer.test,,,,,
domain,7f3c2a10-5b6e-4c1d-9a8f-0e2d4b6c8a01,,contosocustomer.onmicrosoft.com,,,,,
contact,7f3c2a10-5b6e-4c1d-9a8f-0e2d4b6c8a01,,it-admin@contoso-customer.test,,,,IT Admin,en
contact,7f3c2a10-5b6e-4c1d-9a8f-0e2d4b6c8a01,,penzugy@contoso-customer.test,,,,Pénzügy,hu
subscription,7f3c2a10-5b6e-4c1d-9a8f-0e2d4b6c8a01,,11111111-1111-4111-8111-111111111111,Dynamics 365 Sales,VL,active,,
subscription,7f3c2a10-5b6e-4c1d-9a8f-0e2d4b6c8a01,,22222222-2222-4222-8222-222222222222,Business Central,Web Direct,grace,,
subscription,7f3c2a10-5b6e-4c1d-9a8f-0e2d4b6c8a01,,33333333-3333-4333-8333-333333333333,Dynamics 365 Sales,CSP,active,,
subscription,7f3c2a10-5b6e-4c1d-9a8f-0e2d4b6c8a01,,44444444-4444-4444-8444-444444444444,Customer Service,VL,provisioning,,
subscription,7f3c2a10-5b6e-4c1d-9a8f-0e2d4b6c8a01,,55555555-5555-4555-8555-555555555555,Field Service,VL,ended,,
tenant,9b1d4e22-7c3a-4f5e-8d2b-1a0c3e5f7b92,Northwind Traders Kft.,,,,,,
domain,9b1d4e22-7c3a-4f5e-8d2b-1a0c3e5f7b92,,northwind.test,,,,,
contact,9b1d4e22-7c3a-4f5e-8d2b-1a0c3e5f7b92,,rendszergazda@northwind.test,,,,Rendszergazda,hu
`

// HasDemoData reports whether the demo organisations exist.
func (s *Store) HasDemoData(ctx context.Context) (bool, error) {
	var n int64
	err := s.r(ctx).Raw(`SELECT count(*) FROM organisations WHERE name = 'Contoso Partners'`).Scan(&n).Error
	return n > 0, err
}

// SeedDemo loads the demo data of SPEC §7 unless it is already there.
func (s *Store) SeedDemo(ctx context.Context) (bool, error) {
	if ok, err := s.HasDemoData(ctx); err != nil || ok {
		return false, err
	}
	a := Actor{Label: "seed"}
	err := s.tx(ctx, func(tx *gorm.DB) error {
		contoso, err := s.createOrganisation(tx, "Contoso Partners", "en")
		if err != nil {
			return err
		}
		fabrikam, err := s.createOrganisation(tx, "Fabrikam Services", "en")
		if err != nil {
			return err
		}
		all := []int64{1, 2, 3}
		c1, err := s.createLocation(tx, contoso, "1000001", "Contoso Partners Budapest", all)
		if err != nil {
			return err
		}
		if _, err := s.createLocation(tx, contoso, "1000002", "Contoso Partners Debrecen", []int64{1}); err != nil {
			return err
		}
		if _, err := s.createLocation(tx, fabrikam, "2000001", "Fabrikam Services", all); err != nil {
			return err
		}
		users := []NewUser{
			{Email: "admin@contoso-partner.test", Name: "Anna Admin", Role: RoleAdmin, OrganisationID: contoso},
			{Email: "user@contoso-partner.test", Name: "Uma User", Role: RoleUser, OrganisationID: contoso, Locations: []int64{c1}},
			{Email: "admin@fabrikam-partner.test", Name: "Fabian Admin", Role: RoleAdmin, OrganisationID: fabrikam},
			{Email: "reviewer@program.test", Name: "Rita Reviewer", Role: RoleReviewer},
			{Email: "operator@program.test", Name: "Oscar Operator", Role: RoleOperator},
		}
		for _, u := range users {
			u.Password = DemoPassword
			if _, err := s.CreateUser(ctx, tx, u); err != nil {
				return err
			}
		}
		return s.audit(tx, a, "seed.demo", "", "")
	})
	if err != nil {
		return false, err
	}
	if _, err := s.ImportDirectory(ctx, a, strings.NewReader(demoDirectory)); err != nil {
		return false, err
	}
	return true, nil
}
