package models

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"gorm.io/gorm"
)

// TenantRow is a tenant as the directory search lists it.
type TenantRow struct {
	ID            string
	Name          string
	Domains       string // comma-separated, for display
	Contacts      int
	Subscriptions int
}

// TenantFilter selects tenants of the directory.
type TenantFilter struct {
	Search string // part of the name or a domain, or the start of the tenant ID
	// Keyset: the name and ID of the last tenant of the previous page.
	AfterName, AfterID string
	Limit              int
}

// SearchTenants lists tenants by name, a page at a time.
func (s *Store) SearchTenants(ctx context.Context, f TenantFilter) ([]TenantRow, error) {
	if f.Limit <= 0 || f.Limit > 200 {
		f.Limit = 50
	}
	// Page first, then count: the per-tenant subqueries run for one page of
	// rows, not for every tenant the sort looks at.
	inner := `SELECT id, name FROM tenants t WHERE 1 = 1`
	var args []any
	if term := strings.TrimSpace(f.Search); term != "" {
		like := "%" + escapeLike(term) + "%"
		inner += ` AND (t.name LIKE ? ESCAPE '\' OR t.id LIKE ? ESCAPE '\'
			OR EXISTS (SELECT 1 FROM tenant_domains d WHERE d.tenant_id = t.id AND d.domain LIKE ? ESCAPE '\'))`
		args = append(args, like, escapeLike(strings.ToLower(term))+"%", "%"+escapeLike(strings.TrimSuffix(strings.ToLower(term), "."))+"%")
	}
	if f.AfterName != "" || f.AfterID != "" {
		inner += ` AND (t.name, t.id) > (?, ?)`
		args = append(args, f.AfterName, f.AfterID)
	}
	inner += ` ORDER BY t.name, t.id LIMIT ?`
	args = append(args, f.Limit)
	q := `SELECT t.id, t.name,
		coalesce((SELECT group_concat(domain, ', ') FROM (SELECT domain FROM tenant_domains d WHERE d.tenant_id = t.id ORDER BY domain)), '') AS domains,
		(SELECT count(*) FROM tenant_contacts c WHERE c.tenant_id = t.id) AS contacts,
		(SELECT count(*) FROM subscriptions x WHERE x.tenant_id = t.id) AS subscriptions
		FROM (` + inner + `) t ORDER BY t.name, t.id`
	var out []TenantRow
	err := s.r(ctx).Raw(q, args...).Scan(&out).Error
	return out, err
}

func tenantRef(id string) string { return "tenant:" + id }

func tenantExists(tx *gorm.DB, id string) error {
	var n int
	if err := tx.Raw(`SELECT count(*) FROM tenants WHERE id = ?`, id).Scan(&n).Error; err != nil {
		return err
	}
	if n == 0 {
		return ErrNotFound
	}
	return nil
}

func validTenantName(fe FieldErrors, field, name string) {
	switch {
	case name == "":
		fe.Add(field, "err.required")
	case runeLen(name) > 200:
		fe.Add(field, "admin.err.too_long_200")
	}
}

// CreateTenant adds a tenant to the directory. It returns the normalised ID.
func (s *Store) CreateTenant(ctx context.Context, a Actor, id, name string) (string, error) {
	fe := FieldErrors{}
	gid, ok := NormalizeGUID(id)
	if strings.TrimSpace(id) == "" {
		fe.Add("tenant_id", "err.required")
	} else if !ok {
		fe.Add("tenant_id", "admin.err.guid")
	}
	name = strings.TrimSpace(name)
	validTenantName(fe, "tenant_name", name)
	if len(fe) > 0 {
		return "", fe
	}
	err := s.tx(ctx, func(tx *gorm.DB) error {
		err := tx.Exec(`INSERT INTO tenants (id, name, updated_at) VALUES (?, ?, ?)`, gid, name, Ms(s.Now())).Error
		if errors.Is(translate(err), ErrDuplicate) {
			return FieldErrors{"tenant_id": "admin.err.tenant_exists"}
		}
		if err != nil {
			return err
		}
		return s.audit(tx, a, "directory.tenant.create", tenantRef(gid), name)
	})
	return gid, err
}

// RenameTenant changes a tenant's organisation name.
func (s *Store) RenameTenant(ctx context.Context, a Actor, id, name string) error {
	fe := FieldErrors{}
	name = strings.TrimSpace(name)
	validTenantName(fe, "tenant_name", name)
	if len(fe) > 0 {
		return fe
	}
	return s.tx(ctx, func(tx *gorm.DB) error {
		var old string
		if err := tx.Raw(`SELECT name FROM tenants WHERE id = ?`, id).Scan(&old).Error; err != nil {
			return err
		}
		if old == "" {
			return ErrNotFound
		}
		if old == name {
			return nil
		}
		if err := tx.Exec(`UPDATE tenants SET name = ?, updated_at = ? WHERE id = ?`, name, Ms(s.Now()), id).Error; err != nil {
			return err
		}
		return s.audit(tx, a, "directory.tenant.update", tenantRef(id), fmt.Sprintf("name: %s → %s", old, name))
	})
}

// AddTenantDomain adds a verified domain to a tenant. A domain belongs to
// one tenant only.
func (s *Store) AddTenantDomain(ctx context.Context, a Actor, tenantID, domain string) error {
	d, ok := NormalizeDomain(domain)
	if strings.TrimSpace(domain) == "" {
		return FieldErrors{"domain": "err.required"}
	}
	if !ok {
		return FieldErrors{"domain": "admin.err.domain"}
	}
	return s.tx(ctx, func(tx *gorm.DB) error {
		if err := tenantExists(tx, tenantID); err != nil {
			return err
		}
		var owner string
		if err := tx.Raw(`SELECT tenant_id FROM tenant_domains WHERE domain = ?`, d).Scan(&owner).Error; err != nil {
			return err
		}
		if owner == tenantID {
			return nil
		}
		if owner != "" {
			return FieldErrors{"domain": "admin.err.domain_taken"}
		}
		if err := tx.Exec(`INSERT INTO tenant_domains (domain, tenant_id) VALUES (?, ?)`, d, tenantID).Error; err != nil {
			return err
		}
		if err := tx.Exec(`UPDATE tenants SET updated_at = ? WHERE id = ?`, Ms(s.Now()), tenantID).Error; err != nil {
			return err
		}
		return s.audit(tx, a, "directory.domain.add", tenantRef(tenantID), d)
	})
}

// RemoveTenantDomain removes a verified domain from a tenant. Claims already
// made keep the domain they were made with.
func (s *Store) RemoveTenantDomain(ctx context.Context, a Actor, tenantID, domain string) error {
	return s.tx(ctx, func(tx *gorm.DB) error {
		res := tx.Exec(`DELETE FROM tenant_domains WHERE tenant_id = ? AND domain = ?`, tenantID, domain)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return ErrNotFound
		}
		if err := tx.Exec(`UPDATE tenants SET updated_at = ? WHERE id = ?`, Ms(s.Now()), tenantID).Error; err != nil {
			return err
		}
		return s.audit(tx, a, "directory.domain.remove", tenantRef(tenantID), domain)
	})
}

// ContactInput is a notification contact as an operator types it.
type ContactInput struct {
	Name     string
	Email    string
	Language string
}

// SaveTenantContact adds a notification contact to a tenant, or changes the
// name and language of the contact with that email.
func (s *Store) SaveTenantContact(ctx context.Context, a Actor, tenantID string, in ContactInput) error {
	in.Name, in.Email = strings.TrimSpace(in.Name), strings.TrimSpace(in.Email)
	fe := FieldErrors{}
	switch {
	case in.Email == "":
		fe.Add("contact_email", "err.required")
	case len(in.Email) > 254 || !ValidEmail(in.Email):
		fe.Add("contact_email", "err.email")
	}
	if runeLen(in.Name) > 120 {
		fe.Add("contact_name", "err.too_long_120")
	}
	if in.Language != "en" && in.Language != "hu" {
		fe.Add("contact_language", "admin.err.language")
	}
	if len(fe) > 0 {
		return fe
	}
	return s.tx(ctx, func(tx *gorm.DB) error {
		if err := tenantExists(tx, tenantID); err != nil {
			return err
		}
		var old Contact
		if err := tx.Raw(`SELECT id, name, email, language FROM tenant_contacts WHERE tenant_id = ? AND email = ?`, tenantID, in.Email).Scan(&old).Error; err != nil {
			return err
		}
		if old.ID != 0 && old.Name == in.Name && old.Language == in.Language {
			return nil
		}
		if err := tx.Exec(`INSERT INTO tenant_contacts (tenant_id, name, email, language) VALUES (?, ?, ?, ?)
			ON CONFLICT (tenant_id, email) DO UPDATE SET name = excluded.name, language = excluded.language`,
			tenantID, in.Name, in.Email, in.Language).Error; err != nil {
			return err
		}
		if err := tx.Exec(`UPDATE tenants SET updated_at = ? WHERE id = ?`, Ms(s.Now()), tenantID).Error; err != nil {
			return err
		}
		if old.ID == 0 {
			return s.audit(tx, a, "directory.contact.add", tenantRef(tenantID), fmt.Sprintf("%s; name=%s; language=%s", in.Email, in.Name, in.Language))
		}
		return s.audit(tx, a, "directory.contact.update", tenantRef(tenantID),
			fmt.Sprintf("%s; name: %s → %s; language: %s → %s", in.Email, old.Name, in.Name, old.Language, in.Language))
	})
}

// RemoveTenantContact removes a notification contact of a tenant.
func (s *Store) RemoveTenantContact(ctx context.Context, a Actor, tenantID string, contactID int64) error {
	return s.tx(ctx, func(tx *gorm.DB) error {
		var email string
		if err := tx.Raw(`SELECT email FROM tenant_contacts WHERE id = ? AND tenant_id = ?`, contactID, tenantID).Scan(&email).Error; err != nil {
			return err
		}
		if email == "" {
			return ErrNotFound
		}
		if err := tx.Exec(`DELETE FROM tenant_contacts WHERE id = ?`, contactID).Error; err != nil {
			return err
		}
		if err := tx.Exec(`UPDATE tenants SET updated_at = ? WHERE id = ?`, Ms(s.Now()), tenantID).Error; err != nil {
			return err
		}
		return s.audit(tx, a, "directory.contact.remove", tenantRef(tenantID), email)
	})
}

// SubscriptionInput is a subscription as an operator types it.
type SubscriptionInput struct {
	ID        string
	ProductID int64
	Channel   string
	State     string
}

// ValidChannel reports whether c is a subscription channel.
func ValidChannel(c string) bool { return c == ChannelVL || c == ChannelWebDirect || c == ChannelCSP }

// ValidSubState reports whether st is a subscription state.
func ValidSubState(st string) bool {
	return st == SubProvisioning || st == SubActive || st == SubGrace || st == SubEnded
}

// SaveTenantSubscription adds a subscription to a tenant or changes its
// product, channel or state. A subscription is never removed: it ends, and
// its open claim lines end with it.
func (s *Store) SaveTenantSubscription(ctx context.Context, a Actor, tenantID string, in SubscriptionInput) error {
	fe := FieldErrors{}
	sid, ok := NormalizeGUID(in.ID)
	if strings.TrimSpace(in.ID) == "" {
		fe.Add("sub_id", "err.required")
	} else if !ok {
		fe.Add("sub_id", "admin.err.guid")
	}
	if in.ProductID == 0 {
		fe.Add("sub_product", "err.required")
	}
	if !ValidChannel(in.Channel) {
		fe.Add("sub_channel", "err.required")
	}
	if !ValidSubState(in.State) {
		fe.Add("sub_state", "err.required")
	}
	if len(fe) > 0 {
		return fe
	}
	return s.tx(ctx, func(tx *gorm.DB) error {
		if err := tenantExists(tx, tenantID); err != nil {
			return err
		}
		var area string
		if err := tx.Raw(`SELECT solution_area FROM products WHERE id = ?`, in.ProductID).Scan(&area).Error; err != nil {
			return err
		}
		if area != AreaBizApps {
			return FieldErrors{"sub_product": "admin.err.product"}
		}
		var old struct {
			TenantID    string
			ProductName string
			Channel     string
			State       string
			ProductID   int64
		}
		if err := tx.Raw(`SELECT x.tenant_id, p.name AS product_name, x.channel, x.state, x.product_id FROM subscriptions x
			JOIN products p ON p.id = x.product_id WHERE x.id = ?`, sid).Scan(&old).Error; err != nil {
			return err
		}
		if old.TenantID != "" && old.TenantID != tenantID {
			return FieldErrors{"sub_id": "admin.err.subscription_taken"}
		}
		if old.TenantID != "" && old.ProductID == in.ProductID && old.Channel == in.Channel && old.State == in.State {
			return nil
		}
		if err := s.upsertSubscription(tx, Subscription{ID: sid, TenantID: tenantID, ProductID: in.ProductID, Channel: in.Channel, State: in.State}); err != nil {
			return err
		}
		if err := tx.Exec(`UPDATE tenants SET updated_at = ? WHERE id = ?`, Ms(s.Now()), tenantID).Error; err != nil {
			return err
		}
		var product string
		if err := tx.Raw(`SELECT name FROM products WHERE id = ?`, in.ProductID).Scan(&product).Error; err != nil {
			return err
		}
		if old.TenantID == "" {
			return s.audit(tx, a, "directory.subscription.add", tenantRef(tenantID),
				fmt.Sprintf("%s; product=%s; channel=%s; state=%s", sid, product, in.Channel, in.State))
		}
		var changes []string
		if old.ProductName != product {
			changes = append(changes, fmt.Sprintf("product: %s → %s", old.ProductName, product))
		}
		if old.Channel != in.Channel {
			changes = append(changes, fmt.Sprintf("channel: %s → %s", old.Channel, in.Channel))
		}
		if old.State != in.State {
			changes = append(changes, fmt.Sprintf("state: %s → %s", old.State, in.State))
		}
		return s.audit(tx, a, "directory.subscription.update", tenantRef(tenantID), sid+"; "+strings.Join(changes, "; "))
	})
}

// DirectoryTemplateCSV is the downloadable example of the import format.
func DirectoryTemplateCSV() string {
	return strings.Join(DirectoryHeader, ",") + "\n" +
		"tenant,00000000-0000-4000-8000-000000000001,Example Customer Ltd,,,,,,\n" +
		"domain,00000000-0000-4000-8000-000000000001,,example-customer.test,,,,,\n" +
		"contact,00000000-0000-4000-8000-000000000001,,it-admin@example-customer.test,,,,IT Admin,en\n" +
		"subscription,00000000-0000-4000-8000-000000000001,,00000000-0000-4000-8000-0000000000a1,Dynamics 365 Sales,VL,active,,\n"
}
