package models

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net/mail"
	"regexp"
	"sort"
	"strings"

	"gorm.io/gorm"
)

// Subscription channels and states, as the directory records them.
const (
	ChannelVL        = "VL"
	ChannelWebDirect = "Web Direct"
	ChannelCSP       = "CSP"

	SubProvisioning = "provisioning"
	SubActive       = "active"
	SubGrace        = "grace"
	SubEnded        = "ended"
)

// Tenant is a customer's tenant in the directory.
type Tenant struct {
	ID   string
	Name string
}

// Contact is a tenant's notification contact.
type Contact struct {
	ID       int64
	TenantID string
	Name     string
	Email    string
	Language string
}

// Subscription is a subscription on a tenant.
type Subscription struct {
	ID          string
	TenantID    string
	ProductID   int64
	ProductName string
	Channel     string
	State       string
}

var guidPattern = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// NormalizeGUID trims spaces and lowercases; ok is false unless the result is a GUID.
func NormalizeGUID(s string) (string, bool) {
	g := strings.ToLower(strings.TrimSpace(s))
	return g, guidPattern.MatchString(g)
}

var domainLabel = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)

// NormalizeDomain lowercases, trims spaces and one trailing dot; ok is false
// unless the result is a syntactically valid domain of two or more labels.
func NormalizeDomain(s string) (string, bool) {
	d := strings.TrimSuffix(strings.ToLower(strings.TrimSpace(s)), ".")
	if len(d) == 0 || len(d) > 253 {
		return d, false
	}
	labels := strings.Split(d, ".")
	if len(labels) < 2 {
		return d, false
	}
	for _, l := range labels {
		if !domainLabel.MatchString(l) {
			return d, false
		}
	}
	return d, true
}

// ValidEmail reports whether s is a plain address (no display name).
func ValidEmail(s string) bool {
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || a.Name != "" {
		return false
	}
	at := strings.LastIndexByte(s, '@')
	_, ok := NormalizeDomain(s[at+1:])
	return ok
}

// TenantByID returns a tenant.
func (s *Store) TenantByID(ctx context.Context, id string) (*Tenant, error) {
	var t Tenant
	if err := s.r(ctx).Raw(`SELECT id, name FROM tenants WHERE id = ?`, id).Scan(&t).Error; err != nil {
		return nil, err
	}
	if t.ID == "" {
		return nil, ErrNotFound
	}
	return &t, nil
}

// TenantDomains returns the verified domains of a tenant.
func (s *Store) TenantDomains(ctx context.Context, tenantID string) ([]string, error) {
	var ds []string
	err := s.r(ctx).Raw(`SELECT domain FROM tenant_domains WHERE tenant_id = ? ORDER BY domain`, tenantID).Scan(&ds).Error
	return ds, err
}

// TenantContacts returns the notification contacts of a tenant.
func (s *Store) TenantContacts(ctx context.Context, tenantID string) ([]Contact, error) {
	return tenantContacts(s.r(ctx), tenantID)
}

func tenantContacts(db *gorm.DB, tenantID string) ([]Contact, error) {
	var cs []Contact
	err := db.Raw(`SELECT id, tenant_id, name, email, language FROM tenant_contacts WHERE tenant_id = ? ORDER BY email`, tenantID).Scan(&cs).Error
	return cs, err
}

// TenantSubscriptions returns the subscriptions of a tenant.
func (s *Store) TenantSubscriptions(ctx context.Context, tenantID string) ([]Subscription, error) {
	var ss []Subscription
	err := s.r(ctx).Raw(`SELECT s.id, s.tenant_id, s.product_id, p.name AS product_name, s.channel, s.state
		FROM subscriptions s JOIN products p ON p.id = s.product_id WHERE s.tenant_id = ? ORDER BY p.name, s.id`, tenantID).Scan(&ss).Error
	return ss, err
}

// DirectoryHeader is the header line of a directory CSV file.
var DirectoryHeader = []string{"kind", "tenant_id", "tenant_name", "value", "product", "channel", "state", "contact_name", "language"}

// ImportRowError is one rejected row of a directory import.
type ImportRowError struct {
	Line   int
	Reason string // catalogue message ID
	Arg    string // detail substituted into the message (a value from the row)
}

// ImportReport says what an import did or why it did nothing.
type ImportReport struct {
	Applied int
	Errors  []ImportRowError
}

// ErrImportRejected means the file had bad rows and nothing was applied.
var ErrImportRejected = errors.New("import rejected")

type dirRow struct {
	line                                                                              int
	kind, tenantID, tenantName, value, product, channel, state, contactName, language string
}

// ImportDirectory applies a directory CSV in one transaction: every row is
// applied, or, if any row is bad, none is and the report lists each bad row.
func (s *Store) ImportDirectory(ctx context.Context, a Actor, r io.Reader) (*ImportReport, error) {
	rows, rep := parseDirectoryCSV(r)
	if len(rep.Errors) > 0 {
		return rep, ErrImportRejected
	}
	ref, err := s.RefData(ctx)
	if err != nil {
		return nil, err
	}
	// Tenants first, so a file may list a tenant's domains before the tenant.
	sort.SliceStable(rows, func(i, j int) bool { return rows[i].kind == "tenant" && rows[j].kind != "tenant" })
	err = s.tx(ctx, func(tx *gorm.DB) error {
		for _, row := range rows {
			if msg, arg, err := s.applyDirectoryRow(tx, ref, row); err != nil {
				return err
			} else if msg != "" {
				rep.Errors = append(rep.Errors, ImportRowError{Line: row.line, Reason: msg, Arg: arg})
			}
		}
		if len(rep.Errors) > 0 {
			return ErrImportRejected
		}
		rep.Applied = len(rows)
		return s.audit(tx, a, "directory.import", "directory", fmt.Sprintf("%d rows", len(rows)))
	})
	if err != nil {
		rep.Applied = 0
	}
	return rep, err
}

func parseDirectoryCSV(r io.Reader) ([]dirRow, *ImportReport) {
	rep := &ImportReport{}
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err != nil {
		rep.Errors = append(rep.Errors, ImportRowError{Line: 1, Reason: "import.err_header"})
		return nil, rep
	}
	if len(header) > 0 {
		header[0] = strings.TrimPrefix(header[0], "\ufeff")
	}
	if strings.Join(header, ",") != strings.Join(DirectoryHeader, ",") {
		rep.Errors = append(rep.Errors, ImportRowError{Line: 1, Reason: "import.err_header"})
		return nil, rep
	}
	var rows []dirRow
	seen := map[string]int{}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		line, _ := cr.FieldPos(0)
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				line = pe.Line
			}
			rep.Errors = append(rep.Errors, ImportRowError{Line: line, Reason: "import.err_csv"})
			if pe == nil {
				break
			}
			continue
		}
		if len(rec) != len(DirectoryHeader) {
			rep.Errors = append(rep.Errors, ImportRowError{Line: line, Reason: "import.err_columns"})
			continue
		}
		for i := range rec {
			rec[i] = strings.TrimSpace(rec[i])
		}
		row := dirRow{line, strings.ToLower(rec[0]), rec[1], rec[2], rec[3], rec[4], rec[5], strings.ToLower(rec[6]), rec[7], strings.ToLower(rec[8])}
		if msg, arg := row.check(); msg != "" {
			rep.Errors = append(rep.Errors, ImportRowError{Line: line, Reason: msg, Arg: arg})
			continue
		}
		k := row.kind + "|" + row.tenantID + "|" + strings.ToLower(row.value)
		if first, dup := seen[k]; dup {
			rep.Errors = append(rep.Errors, ImportRowError{Line: line, Reason: "import.err_duplicate", Arg: fmt.Sprint(first)})
			continue
		}
		seen[k] = line
		rows = append(rows, row)
	}
	if len(rows) == 0 && len(rep.Errors) == 0 {
		rep.Errors = append(rep.Errors, ImportRowError{Line: 1, Reason: "import.err_empty"})
	}
	return rows, rep
}

// check validates a row on its own and normalises its values.
func (r *dirRow) check() (msg, arg string) {
	id, ok := NormalizeGUID(r.tenantID)
	if !ok {
		return "import.err_tenant_id", r.tenantID
	}
	r.tenantID = id
	switch r.kind {
	case "tenant":
		if r.tenantName == "" || r.value != "" {
			return "import.err_tenant_row", ""
		}
	case "domain":
		d, ok := NormalizeDomain(r.value)
		if !ok {
			return "import.err_domain", r.value
		}
		r.value = d
	case "contact":
		if !ValidEmail(r.value) {
			return "import.err_email", r.value
		}
		if r.language != "en" && r.language != "hu" {
			return "import.err_language", r.language
		}
	case "subscription":
		sid, ok := NormalizeGUID(r.value)
		if !ok {
			return "import.err_subscription_id", r.value
		}
		r.value = sid
		switch r.channel {
		case ChannelVL, ChannelWebDirect, ChannelCSP:
		default:
			return "import.err_channel", r.channel
		}
		switch r.state {
		case SubProvisioning, SubActive, SubGrace, SubEnded:
		default:
			return "import.err_state", r.state
		}
	default:
		return "import.err_kind", r.kind
	}
	return "", ""
}

// applyDirectoryRow upserts one row. A rule that needs the database (an
// unknown tenant or product, a domain verified by another tenant) returns a
// message instead of an error so every bad row gets reported.
func (s *Store) applyDirectoryRow(tx *gorm.DB, ref *RefData, r dirRow) (msg, arg string, err error) {
	now := Ms(s.Now())
	if r.kind == "tenant" {
		return "", "", tx.Exec(`INSERT INTO tenants (id, name, updated_at) VALUES (?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET name = excluded.name, updated_at = excluded.updated_at`, r.tenantID, r.tenantName, now).Error
	}
	var exists int
	if err := tx.Raw(`SELECT count(*) FROM tenants WHERE id = ?`, r.tenantID).Scan(&exists).Error; err != nil {
		return "", "", err
	}
	if exists == 0 {
		return "import.err_unknown_tenant", r.tenantID, nil
	}
	switch r.kind {
	case "domain":
		var owner string
		if err := tx.Raw(`SELECT tenant_id FROM tenant_domains WHERE domain = ?`, r.value).Scan(&owner).Error; err != nil {
			return "", "", err
		}
		if owner != "" && owner != r.tenantID {
			return "import.err_domain_taken", r.value, nil
		}
		return "", "", tx.Exec(`INSERT INTO tenant_domains (domain, tenant_id) VALUES (?, ?) ON CONFLICT DO NOTHING`, r.value, r.tenantID).Error
	case "contact":
		return "", "", tx.Exec(`INSERT INTO tenant_contacts (tenant_id, name, email, language) VALUES (?, ?, ?, ?)
			ON CONFLICT (tenant_id, email) DO UPDATE SET name = excluded.name, language = excluded.language`,
			r.tenantID, r.contactName, r.value, r.language).Error
	case "subscription":
		p, ok := ref.ProductByName(AreaBizApps, r.product)
		if !ok {
			return "import.err_product", r.product, nil
		}
		var owner string
		if err := tx.Raw(`SELECT tenant_id FROM subscriptions WHERE id = ?`, r.value).Scan(&owner).Error; err != nil {
			return "", "", err
		}
		if owner != "" && owner != r.tenantID {
			return "import.err_subscription_taken", r.value, nil
		}
		return "", "", s.upsertSubscription(tx, Subscription{ID: r.value, TenantID: r.tenantID, ProductID: p.ID, Channel: r.channel, State: r.state})
	}
	return "", "", nil
}

// upsertSubscription writes a subscription row. A subscription that becomes
// ended schedules the ending of its open claim lines.
func (s *Store) upsertSubscription(tx *gorm.DB, sub Subscription) error {
	if sub.State == SubEnded {
		if err := s.scheduleSubscriptionEnded(tx, sub.ID); err != nil {
			return err
		}
	}
	return tx.Exec(`INSERT INTO subscriptions (id, tenant_id, product_id, channel, state, updated_at) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET product_id = excluded.product_id, channel = excluded.channel, state = excluded.state, updated_at = excluded.updated_at`,
		sub.ID, sub.TenantID, sub.ProductID, sub.Channel, sub.State, Ms(s.Now())).Error
}
