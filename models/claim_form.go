package models

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"gorm.io/gorm"
)

// LineInput is one Business Applications line as typed.
type LineInput struct {
	ProductID      int64
	SubscriptionID string
}

// ClaimInput is the claim form as typed.
type ClaimInput struct {
	LocationID           int64
	Domain               string
	TenantID             string
	ProgramID            int64
	ActivityID           int64
	Name                 string
	WorkloadIDs          []int64     // Microsoft 365
	Lines                []LineInput // Business Applications (blank rows are dropped)
	CustomerContactName  string
	CustomerContactTitle string
	CustomerContactEmail string
	PartnerContactName   string
	PartnerContactEmail  string
}

// MaxClaimName is the longest claim name, in characters.
const MaxClaimName = 120

// Trim normalises what was typed (trim spaces; drop blank BA rows).
func (in *ClaimInput) Trim() {
	for _, p := range []*string{&in.Domain, &in.TenantID, &in.Name, &in.CustomerContactName, &in.CustomerContactTitle,
		&in.CustomerContactEmail, &in.PartnerContactName, &in.PartnerContactEmail} {
		*p = strings.TrimSpace(*p)
	}
	var lines []LineInput
	for _, l := range in.Lines {
		l.SubscriptionID = strings.TrimSpace(l.SubscriptionID)
		if l.ProductID != 0 || l.SubscriptionID != "" {
			lines = append(lines, l)
		}
	}
	in.Lines = lines
}

// claimChecker runs the checks of SPEC §4.1 against the database.
type claimChecker struct {
	s    *Store
	db   *gorm.DB
	ref  *RefData
	errs FieldErrors
	// data holds message fields, e.g. the claim number of a same-key claim.
	data map[string]map[string]any
	// submit makes the line checks those of Submit claim: no empty list,
	// no retired product even if the draft already had it.
	submit bool
}

func (k *claimChecker) add(field, msg string) { k.errs.Add(field, msg) }

// count runs a count query; a failed query counts as nothing found, which
// makes the check refuse rather than pass.
func (k *claimChecker) count(query string, args ...any) int64 {
	var n int64
	queryRaw(k.db, query, args, func(r *sql.Rows) error { return r.Scan(&n) })
	return n
}

// CheckError carries field messages with their data.
type CheckError struct {
	Fields FieldErrors
	Data   map[string]map[string]any
}

func (e *CheckError) Error() string { return e.Fields.Error() }

func (k *claimChecker) result() error {
	if len(k.errs) == 0 {
		return nil
	}
	return &CheckError{Fields: k.errs, Data: k.data}
}

// checkSave runs the save-time checks: location, domain, tenant, program,
// activity, name and everything that needs the directory.
func (k *claimChecker) checkSave(in *ClaimInput, who Who, existing *Claim) {
	prog, progOK := k.ref.Program(in.ProgramID)
	if !progOK {
		k.add("program", "err.required")
	}
	k.checkLocation(in.LocationID, in.ProgramID, who)
	tenantOK := false
	tenant, ok := NormalizeGUID(in.TenantID)
	switch {
	case in.TenantID == "":
		k.add("tenant", "claim.err_tenant_format")
	case !ok:
		k.add("tenant", "claim.err_tenant_format")
	default:
		in.TenantID = tenant
		if k.count(`SELECT count(*) FROM tenants WHERE id = ?`, tenant) == 0 {
			k.add("tenant", "claim.err_tenant_unknown")
		} else {
			tenantOK = true
		}
	}
	domain, ok := NormalizeDomain(in.Domain)
	switch {
	case in.Domain == "" || !ok:
		k.add("domain", "claim.err_domain_syntax")
	default:
		in.Domain = domain
		if tenantOK {
			if k.count(`SELECT count(*) FROM tenant_domains WHERE tenant_id = ? AND domain = ?`, tenant, domain) == 0 {
				k.add("domain", "claim.err_domain_mismatch")
			}
		}
	}
	if act, ok := k.ref.Activity(in.ActivityID); !ok || !progOK || act.SolutionArea != prog.SolutionArea || (act.Retired && (existing == nil || existing.ActivityID != act.ID)) {
		k.add("activity", "claim.err_activity")
	}
	switch {
	case in.Name == "":
		k.add("name", "err.required")
	case runeLen(in.Name) > MaxClaimName:
		k.add("name", "err.too_long_120")
	}
	if progOK {
		k.checkLines(in, prog, tenant, tenantOK, existing)
	}
}

func (k *claimChecker) checkLocation(locationID, programID int64, who Who) {
	n := k.count(`SELECT count(*) FROM locations l JOIN location_programs lp ON lp.location_id = l.id
		WHERE l.id = ? AND l.organisation_id = ? AND lp.program_id = ?`, locationID, who.OrgID, programID)
	if n == 0 || (who.Role == RoleUser && !slices.Contains(who.Locations, locationID)) {
		k.add("location", "claim.err_location")
	}
}

// checkLines checks workloads (Microsoft 365) or product/subscription lines
// (Business Applications). A retired workload already on a draft may stay
// on it but blocks submission.
func (k *claimChecker) checkLines(in *ClaimInput, prog Program, tenant string, tenantOK bool, existing *Claim) {
	submit := k.submit
	kept := map[int64]bool{}
	if existing != nil {
		queryRaw(k.db, `SELECT product_id FROM claim_lines WHERE claim_id = ?`, []any{existing.ID}, func(r *sql.Rows) error {
			var id int64
			err := r.Scan(&id)
			kept[id] = true
			return err
		})
	}
	if prog.Granularity() == PerWorkload {
		if len(in.WorkloadIDs) == 0 && submit {
			k.add("workloads", "claim.err_workloads")
		}
		for _, id := range in.WorkloadIDs {
			p, ok := k.ref.Product(id)
			if !ok || p.SolutionArea != prog.SolutionArea {
				k.add("workloads", "claim.err_workloads")
				continue
			}
			if p.Retired && (submit || !kept[id]) {
				k.add("workloads", "claim.err_retired")
				k.data["workloads"] = map[string]any{"Name": p.Name}
			}
		}
		return
	}
	if len(in.Lines) == 0 && submit {
		k.add("lines", "claim.err_lines_empty")
	}
	seen := map[string]bool{}
	for i := range in.Lines {
		l := &in.Lines[i]
		field := fmt.Sprintf("line_%d", i)
		p, ok := k.ref.Product(l.ProductID)
		if !ok || p.SolutionArea != prog.SolutionArea {
			k.add(field, "claim.err_product")
			continue
		}
		if p.Retired && (submit || !kept[p.ID]) {
			k.add(field, "claim.err_retired")
			k.data[field] = map[string]any{"Name": p.Name}
			continue
		}
		sub, ok := NormalizeGUID(l.SubscriptionID)
		if !ok {
			k.add(field, "claim.err_sub_format")
			continue
		}
		l.SubscriptionID = sub
		if seen[sub] {
			k.add(field, "claim.err_sub_duplicate")
			continue
		}
		seen[sub] = true
		if !tenantOK {
			continue
		}
		var s Subscription
		queryRaw(k.db, `SELECT id, tenant_id, product_id, channel, state FROM subscriptions WHERE id = ?`, []any{sub},
			func(r *sql.Rows) error { return r.Scan(&s.ID, &s.TenantID, &s.ProductID, &s.Channel, &s.State) })
		switch {
		case s.ID == "" || s.TenantID != tenant:
			k.add(field, "claim.err_sub_not_on_tenant")
		case s.ProductID != l.ProductID:
			k.add(field, "claim.err_sub_other_product")
		case s.Channel == ChannelCSP:
			k.add(field, "claim.err_sub_csp")
		case s.State == SubProvisioning:
			k.add(field, "claim.err_sub_not_active")
		case s.State == SubEnded:
			k.add(field, "claim.err_sub_ended")
		}
	}
}

// checkSubmit adds the checks that only Submit claim runs.
func (k *claimChecker) checkSubmit(in *ClaimInput, claimID int64) {
	for _, f := range []struct{ field, val string }{
		{"customer_name", in.CustomerContactName}, {"customer_title", in.CustomerContactTitle},
		{"partner_name", in.PartnerContactName},
	} {
		if f.val == "" {
			k.add(f.field, "err.required")
		}
	}
	for _, f := range []struct{ field, val string }{{"customer_email", in.CustomerContactEmail}, {"partner_email", in.PartnerContactEmail}} {
		switch {
		case f.val == "":
			k.add(f.field, "err.required")
		case !ValidEmail(f.val):
			k.add(f.field, "err.email")
		}
	}
	if k.count(`SELECT count(*) FROM claim_files WHERE claim_id = ?`, claimID) == 0 {
		k.add("files", "claim.err_poe_missing")
	}
}

func (s *Store) newChecker(db *gorm.DB) (*claimChecker, error) {
	ref, err := s.RefData(dbContext(db))
	if err != nil {
		return nil, err
	}
	return &claimChecker{s: s, db: db, ref: ref, errs: FieldErrors{}, data: map[string]map[string]any{}}, nil
}

// InputOf returns the stored claim as form input.
func InputOf(c *Claim, lines []Line) ClaimInput {
	in := ClaimInput{LocationID: c.LocationID, Domain: c.Domain, TenantID: c.TenantID, ProgramID: c.ProgramID,
		ActivityID: c.ActivityID, Name: c.Name, CustomerContactName: c.CustomerContactName,
		CustomerContactTitle: c.CustomerContactTitle, CustomerContactEmail: c.CustomerContactEmail,
		PartnerContactName: c.PartnerContactName, PartnerContactEmail: c.PartnerContactEmail}
	for _, l := range lines {
		if l.State == StatusEnded {
			continue
		}
		if l.SubscriptionID != "" {
			in.Lines = append(in.Lines, LineInput{ProductID: l.ProductID, SubscriptionID: l.SubscriptionID})
		} else {
			in.WorkloadIDs = append(in.WorkloadIDs, l.ProductID)
		}
	}
	return in
}

// submitChecks runs every check of SPEC §4.1 on a stored claim.
func (s *Store) submitChecks(db *gorm.DB, who Who, c *Claim, lines []Line) error {
	k, err := s.newChecker(db)
	if err != nil {
		return err
	}
	in := InputOf(c, lines)
	who.OrgID = c.OrganisationID
	k.submit = true
	k.checkSave(&in, who, c)
	k.checkSubmit(&in, c.ID)
	return k.result()
}

// CreateDraft saves a new claim in Editing after the save-time checks.
func (s *Store) CreateDraft(ctx context.Context, who Who, in ClaimInput) (int64, error) {
	in.Trim()
	var id int64
	err := s.tx(ctx, func(tx *gorm.DB) error {
		var orgDisabled bool
		tx.Raw(`SELECT disabled FROM organisations WHERE id = ?`, who.OrgID).Scan(&orgDisabled)
		if orgDisabled {
			return &Refusal{MsgID: "claim.err_org_disabled"}
		}
		k, err := s.newChecker(tx)
		if err != nil {
			return err
		}
		k.checkSave(&in, who, nil)
		if err := k.result(); err != nil {
			return err
		}
		now := Ms(s.Now())
		// The number is above every claim that ever existed: deleting the
		// newest draft must not hand its number (quoted in emails and the
		// audit log) to the next claim.
		if err := tx.Raw(`SELECT max(coalesce((SELECT max(id) FROM claims), 0), coalesce((SELECT max(id) FROM deleted_claims), 0)) + 1`).Scan(&id).Error; err != nil {
			return err
		}
		if err := tx.Exec(`INSERT INTO claims (id, organisation_id, location_id, creator_id, program_id, activity_id, tenant_id, domain, name,
			customer_contact_name, customer_contact_title, customer_contact_email, partner_contact_name, partner_contact_email,
			status, created_at, updated_at, status_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'editing', ?, ?, ?)`,
			id, who.OrgID, in.LocationID, who.UserID, in.ProgramID, in.ActivityID, in.TenantID, in.Domain, in.Name,
			in.CustomerContactName, in.CustomerContactTitle, in.CustomerContactEmail, in.PartnerContactName, in.PartnerContactEmail,
			now, now, now).Error; err != nil {
			return err
		}
		if err := s.replaceLines(tx, id, who.OrgID, in, StatusEditing); err != nil {
			return err
		}
		return addHistory(tx, id, s.Now(), who, "created", "", StatusEditing, "")
	})
	return id, err
}

// replaceLines makes the claim's non-ended lines equal to the input.
func (s *Store) replaceLines(tx *gorm.DB, claimID, orgID int64, in ClaimInput, state Status) error {
	type want struct {
		productID int64
		sub       string
	}
	var wants []want
	for _, id := range in.WorkloadIDs {
		wants = append(wants, want{id, ""})
	}
	for _, l := range in.Lines {
		wants = append(wants, want{l.ProductID, l.SubscriptionID})
	}
	var have []struct {
		ID             int64
		ProductID      int64
		SubscriptionID string
	}
	if err := tx.Raw(`SELECT id, product_id, coalesce(subscription_id, '') AS subscription_id FROM claim_lines WHERE claim_id = ? AND state <> 'ended'`,
		claimID).Scan(&have).Error; err != nil {
		return err
	}
	keep := map[want]bool{}
	for _, h := range have {
		w := want{h.ProductID, h.SubscriptionID}
		if slices.Contains(wants, w) {
			keep[w] = true
			continue
		}
		if err := tx.Exec(`DELETE FROM claim_lines WHERE id = ?`, h.ID).Error; err != nil {
			return err
		}
	}
	var tenant string
	if err := tx.Raw(`SELECT tenant_id FROM claims WHERE id = ?`, claimID).Scan(&tenant).Error; err != nil {
		return err
	}
	for _, w := range wants {
		if keep[w] {
			continue
		}
		err := tx.Exec(`INSERT INTO claim_lines (claim_id, organisation_id, product_id, subscription_id, key, state) VALUES (?, ?, ?, ?, ?, ?)`,
			claimID, orgID, w.productID, nullStr(w.sub), lineKey(tenant, w.productID, w.sub), state).Error
		if isUniqueViolation(err) {
			return s.sameOrgRefusal(tx, claimID, orgID, lineKey(tenant, w.productID, w.sub), w.sub != "")
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// sameOrgRefusal names the organisation's other claim that holds the key.
func (s *Store) sameOrgRefusal(tx *gorm.DB, claimID, orgID int64, key string, perSubscription bool) error {
	var other int64
	tx.Raw(`SELECT claim_id FROM claim_lines WHERE organisation_id = ? AND key = ? AND claim_id <> ? AND state IN `+openStatesSQL+` LIMIT 1`,
		orgID, key, claimID).Scan(&other)
	field := "workloads"
	if perSubscription {
		field = "lines"
	}
	return &CheckError{Fields: FieldErrors{field: "claim.err_same_org"},
		Data: map[string]map[string]any{field: {"Number": ClaimNumber(other), "ID": other}}}
}

func nullStr(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// Editable says what a person may change on a claim now.
type Editable struct {
	Any      bool // the edit form may be opened
	Name     bool
	Location bool
	Lines    bool
	Contacts bool
}

// EditableBy returns what the viewer may edit in the claim's current state:
// everything but the fixed facts in Editing; location, lines and contacts
// for admins in Submitted and Action required; nothing later.
func (c *Claim) EditableBy(v Viewer) Editable {
	if !v.Role.IsPartner() || c.OrganisationID != v.OrgID {
		return Editable{}
	}
	switch c.Status {
	case StatusEditing:
		return Editable{true, true, true, true, true}
	case StatusSubmitted, StatusActionRequired:
		if v.Role == RoleAdmin {
			return Editable{Any: true, Location: true, Lines: true, Contacts: true}
		}
	}
	return Editable{}
}

// UpdateClaim saves an edit on the expected version, recording old → new
// in the history.
func (s *Store) UpdateClaim(ctx context.Context, who Who, id, version int64, in ClaimInput) error {
	in.Trim()
	return s.tx(ctx, func(tx *gorm.DB) error {
		c, lines, err := s.claimFor(tx, Viewer{Role: who.Role, UserID: who.UserID, OrgID: who.OrgID, Locations: who.Locations}, id)
		if err != nil {
			return err
		}
		ed := c.EditableBy(Viewer{Role: who.Role, OrgID: who.OrgID})
		if !ed.Any {
			if c.Status == StatusEditing || c.Status == StatusSubmitted || c.Status == StatusActionRequired {
				return ErrForbidden
			}
			return ErrConflict
		}
		if version != c.Version {
			return ErrConflict
		}
		// Fixed facts come from the stored claim, whatever was posted.
		in.Domain, in.TenantID, in.ProgramID, in.ActivityID = c.Domain, c.TenantID, c.ProgramID, c.ActivityID
		if !ed.Name {
			in.Name = c.Name
		}
		k, err := s.newChecker(tx)
		if err != nil {
			return err
		}
		k.checkSave(&in, who, c)
		if err := k.result(); err != nil {
			return err
		}
		old := InputOf(c, lines)
		changes := diffInput(k.ref, old, in)
		if len(changes) == 0 {
			return nil
		}
		if err := tx.Exec(`UPDATE claims SET location_id = ?, name = ?, customer_contact_name = ?, customer_contact_title = ?,
			customer_contact_email = ?, partner_contact_name = ?, partner_contact_email = ?, version = version + 1, updated_at = ?
			WHERE id = ? AND version = ?`, in.LocationID, in.Name, in.CustomerContactName, in.CustomerContactTitle,
			in.CustomerContactEmail, in.PartnerContactName, in.PartnerContactEmail, Ms(s.Now()), id, version).Error; err != nil {
			return err
		}
		if err := s.replaceLines(tx, id, c.OrganisationID, in, c.Status); err != nil {
			return err
		}
		b, _ := json.Marshal(changes)
		return addHistory(tx, id, s.Now(), who, "edit", c.Status, c.Status, string(b))
	})
}

// Change is one edited field: old → new.
type Change struct {
	Field string `json:"field"`
	Old   string `json:"old"`
	New   string `json:"new"`
}

func diffInput(ref *RefData, a, b ClaimInput) []Change {
	var out []Change
	add := func(field, o, n string) {
		if o != n {
			out = append(out, Change{field, o, n})
		}
	}
	add("location", itoa(a.LocationID), itoa(b.LocationID))
	add("name", a.Name, b.Name)
	add("customer_name", a.CustomerContactName, b.CustomerContactName)
	add("customer_title", a.CustomerContactTitle, b.CustomerContactTitle)
	add("customer_email", a.CustomerContactEmail, b.CustomerContactEmail)
	add("partner_name", a.PartnerContactName, b.PartnerContactName)
	add("partner_email", a.PartnerContactEmail, b.PartnerContactEmail)
	add("lines", linesText(ref, a), linesText(ref, b))
	return out
}

func linesText(ref *RefData, in ClaimInput) string {
	var parts []string
	for _, id := range in.WorkloadIDs {
		p, _ := ref.Product(id)
		parts = append(parts, p.Name)
	}
	for _, l := range in.Lines {
		p, _ := ref.Product(l.ProductID)
		parts = append(parts, p.Name+" "+l.SubscriptionID)
	}
	slices.Sort(parts)
	return strings.Join(parts, ", ")
}

// AddComment appends a comment to the history. Partners (in scope) and
// reviewers may comment; operators only read.
func (s *Store) AddComment(ctx context.Context, who Who, id int64, body string) error {
	body = strings.TrimSpace(body)
	if body == "" {
		return &CheckError{Fields: FieldErrors{"comment": "err.required"}}
	}
	if runeLen(body) > 5000 {
		return &CheckError{Fields: FieldErrors{"comment": "claim.err_comment_long"}}
	}
	if who.Role != RoleAdmin && who.Role != RoleUser && who.Role != RoleReviewer {
		return ErrForbidden
	}
	return s.tx(ctx, func(tx *gorm.DB) error {
		c, err := claimRow(tx, who.viewer(), id)
		if err != nil {
			return err
		}
		if err := tx.Exec(`UPDATE claims SET updated_at = ? WHERE id = ?`, Ms(s.Now()), id).Error; err != nil {
			return err
		}
		return addHistory(tx, id, s.Now(), who, "comment", c.Status, c.Status, body)
	})
}

// IsCheckError unpacks field messages from an error.
func IsCheckError(err error) (*CheckError, bool) {
	var ce *CheckError
	if errors.As(err, &ce) {
		return ce, true
	}
	return nil, false
}
