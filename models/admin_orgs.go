package models

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"gorm.io/gorm"
)

// OrgSummary is an organisation as the operators' list shows it.
type OrgSummary struct {
	ID           int64
	Name         string
	Language     string
	Disabled     bool
	CreatedAt    Time
	Locations    int
	Users        int
	ActiveAdmins int
}

// OrgFilter selects organisations for the operators' list.
type OrgFilter struct {
	Search string // part of the name
	After  string // keyset: the last name of the previous page
	Limit  int
}

// Organisations lists organisations by name, a page at a time.
func (s *Store) Organisations(ctx context.Context, f OrgFilter) ([]OrgSummary, error) {
	if f.Limit <= 0 || f.Limit > 200 {
		f.Limit = 50
	}
	q := `SELECT o.id, o.name, o.language, o.disabled, o.created_at,
		(SELECT count(*) FROM locations l WHERE l.organisation_id = o.id) AS locations,
		(SELECT count(*) FROM users u WHERE u.organisation_id = o.id) AS users,
		(SELECT count(*) FROM users u WHERE u.organisation_id = o.id AND u.role = 'incentives_admin' AND u.disabled = 0) AS active_admins
		FROM organisations o WHERE 1 = 1`
	var args []any
	if f.Search != "" {
		q += ` AND o.name LIKE ? ESCAPE '\'`
		args = append(args, "%"+escapeLike(strings.TrimSpace(f.Search))+"%")
	}
	if f.After != "" {
		q += ` AND o.name > ?`
		args = append(args, f.After)
	}
	q += ` ORDER BY o.name LIMIT ?`
	args = append(args, f.Limit)
	var out []OrgSummary
	err := s.r(ctx).Raw(q, args...).Scan(&out).Error
	return out, err
}

// OrganisationByID returns an organisation.
func (s *Store) OrganisationByID(ctx context.Context, id int64) (*Organisation, error) {
	return organisationByID(s.r(ctx), id)
}

func organisationByID(db *gorm.DB, id int64) (*Organisation, error) {
	var o Organisation
	if err := db.Raw(`SELECT id, name, language, disabled, created_at FROM organisations WHERE id = ?`, id).Scan(&o).Error; err != nil {
		return nil, err
	}
	if o.ID == 0 {
		return nil, ErrNotFound
	}
	return &o, nil
}

// OrgDetails are an organisation's name and default language, as typed.
type OrgDetails struct {
	Name     string
	Language string
}

func (d *OrgDetails) validate(fe FieldErrors) {
	d.Name = strings.TrimSpace(d.Name)
	switch {
	case d.Name == "":
		fe.Add("name", "err.required")
	case runeLen(d.Name) > 120:
		fe.Add("name", "err.too_long_120")
	}
	if d.Language != "en" && d.Language != "hu" {
		fe.Add("language", "admin.err.language")
	}
}

// NewOrganisation is what an operator fills in to create a partner
// organisation with its first incentives admin.
type NewOrganisation struct {
	OrgDetails
	AdminEmail string
	AdminName  string
}

// Validate checks the form on its own.
func (n *NewOrganisation) Validate() FieldErrors {
	fe := FieldErrors{}
	n.validate(fe)
	n.AdminEmail, n.AdminName = strings.TrimSpace(n.AdminEmail), strings.TrimSpace(n.AdminName)
	switch {
	case n.AdminEmail == "":
		fe.Add("admin_email", "err.required")
	case len(n.AdminEmail) > 254 || !ValidEmail(n.AdminEmail):
		fe.Add("admin_email", "err.email")
	}
	if runeLen(n.AdminName) > 120 {
		fe.Add("admin_name", "err.too_long_120")
	}
	return fe
}

// CreatePartnerOrganisation creates an organisation and its first incentives
// admin, and emails the admin an invitation — all in one transaction.
func (s *Store) CreatePartnerOrganisation(ctx context.Context, a Actor, inviter *User, n NewOrganisation) (int64, error) {
	if fe := n.Validate(); len(fe) > 0 {
		return 0, fe
	}
	var orgID int64
	err := s.tx(ctx, func(tx *gorm.DB) error {
		var err error
		orgID, err = s.createOrganisation(tx, n.Name, n.Language)
		if errors.Is(err, ErrDuplicate) {
			return FieldErrors{"name": "admin.err.org_name_taken"}
		}
		if err != nil {
			return err
		}
		if err := s.audit(tx, a, "org.create", auditOrgRef(orgID), fmt.Sprintf("name=%s; language=%s", n.Name, n.Language)); err != nil {
			return err
		}
		lang := n.Language
		uid, err := s.CreateUser(ctx, tx, NewUser{Email: n.AdminEmail, Name: n.AdminName, Role: RoleAdmin, OrganisationID: orgID, Language: lang})
		if errors.Is(err, ErrDuplicate) {
			return FieldErrors{"admin_email": "admin.err.email_taken"}
		}
		if err != nil {
			return err
		}
		u := &User{ID: uid, Email: n.AdminEmail, Name: n.AdminName, Role: RoleAdmin, OrganisationID: orgID, OrgName: n.Name, Language: lang}
		if err := s.issueAccountLink(tx, u, PurposeInvite, inviter); err != nil {
			return err
		}
		return s.audit(tx, a, "user.invite", userRef(uid), "email="+n.AdminEmail+"; role="+string(RoleAdmin)+"; organisation="+n.Name)
	})
	return orgID, err
}

func auditOrgRef(id int64) string { return fmt.Sprintf("org:%d", id) }

// UpdateOrganisation renames an organisation or changes its default language
// (the language of emails to people without an account).
func (s *Store) UpdateOrganisation(ctx context.Context, a Actor, id int64, d OrgDetails) error {
	fe := FieldErrors{}
	d.validate(fe)
	if len(fe) > 0 {
		return fe
	}
	return s.tx(ctx, func(tx *gorm.DB) error {
		o, err := organisationByID(tx, id)
		if err != nil {
			return err
		}
		var changes []string
		if o.Name != d.Name {
			changes = append(changes, fmt.Sprintf("name: %s → %s", o.Name, d.Name))
		}
		if o.Language != d.Language {
			changes = append(changes, fmt.Sprintf("language: %s → %s", o.Language, d.Language))
		}
		if len(changes) == 0 {
			return nil
		}
		if err := tx.Exec(`UPDATE organisations SET name = ?, language = ? WHERE id = ?`, d.Name, d.Language, id).Error; err != nil {
			if errors.Is(translate(err), ErrDuplicate) {
				return FieldErrors{"name": "admin.err.org_name_taken"}
			}
			return err
		}
		return s.audit(tx, a, "org.update", auditOrgRef(id), strings.Join(changes, "; "))
	})
}

// SetOrganisationDisabled disables or re-enables an organisation. Disabling
// ends the sessions of all its users in the same transaction; their claims
// stay as they are, and nobody of the organisation can sign in or submit.
func (s *Store) SetOrganisationDisabled(ctx context.Context, a Actor, id int64, disabled bool) error {
	return s.tx(ctx, func(tx *gorm.DB) error {
		o, err := organisationByID(tx, id)
		if err != nil {
			return err
		}
		if o.Disabled == disabled {
			return nil
		}
		if err := tx.Exec(`UPDATE organisations SET disabled = ? WHERE id = ?`, disabled, id).Error; err != nil {
			return err
		}
		if !disabled {
			return s.audit(tx, a, "org.enable", auditOrgRef(id), o.Name)
		}
		res := tx.Exec(`DELETE FROM sessions WHERE user_id IN (SELECT id FROM users WHERE organisation_id = ?)`, id)
		if res.Error != nil {
			return res.Error
		}
		return s.audit(tx, a, "org.disable", auditOrgRef(id), fmt.Sprintf("%s; %d sessions ended", o.Name, res.RowsAffected))
	})
}

// LocationInput is a location as an operator types it.
type LocationInput struct {
	MPNID    string
	Name     string
	Programs []int64
}

// Validate checks the form on its own; checkMPN is false when editing (the
// MPN ID of a location never changes).
func (in *LocationInput) validate(checkMPN bool) FieldErrors {
	fe := FieldErrors{}
	in.MPNID, in.Name = strings.TrimSpace(in.MPNID), strings.TrimSpace(in.Name)
	if checkMPN {
		switch {
		case in.MPNID == "":
			fe.Add("mpn_id", "err.required")
		case !ValidMPNID(in.MPNID):
			fe.Add("mpn_id", "admin.err.mpn_digits")
		}
	}
	if runeLen(in.Name) > 120 {
		fe.Add("name", "err.too_long_120")
	}
	in.Programs = uniqueIDs(in.Programs)
	return fe
}

func checkPrograms(tx *gorm.DB, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	var n int
	if err := tx.Raw(`SELECT count(*) FROM programs WHERE id IN ?`, ids).Scan(&n).Error; err != nil {
		return err
	}
	if n != len(ids) {
		return FieldErrors{"programs": "admin.err.program_unknown"}
	}
	return nil
}

func programList(tx *gorm.DB, ids []int64) (string, error) {
	if len(ids) == 0 {
		return "none", nil
	}
	var names []string
	err := tx.Raw(`SELECT name FROM programs WHERE id IN ? ORDER BY id`, ids).Scan(&names).Error
	return strings.Join(names, ", "), err
}

// AddLocation adds a location (an MPN ID, unique across the platform) with
// its program enrolments to an organisation.
func (s *Store) AddLocation(ctx context.Context, a Actor, orgID int64, in LocationInput) (int64, error) {
	if fe := in.validate(true); len(fe) > 0 {
		return 0, fe
	}
	var id int64
	err := s.tx(ctx, func(tx *gorm.DB) error {
		if _, err := organisationByID(tx, orgID); err != nil {
			return err
		}
		if err := checkPrograms(tx, in.Programs); err != nil {
			return err
		}
		var err error
		id, err = s.createLocation(tx, orgID, in.MPNID, in.Name, in.Programs)
		if errors.Is(err, ErrDuplicate) {
			return FieldErrors{"mpn_id": "admin.err.mpn_taken"}
		}
		if err != nil {
			return err
		}
		progs, err := programList(tx, in.Programs)
		if err != nil {
			return err
		}
		return s.audit(tx, a, "location.create", auditLocationRef(id), fmt.Sprintf("%s; org:%d; name=%s; programs=%s", in.MPNID, orgID, in.Name, progs))
	})
	return id, err
}

func auditLocationRef(id int64) string { return fmt.Sprintf("location:%d", id) }

// OrgLocation returns one location of an organisation, or ErrNotFound.
func (s *Store) OrgLocation(ctx context.Context, orgID, id int64) (*Location, error) {
	return orgLocation(s.r(ctx), orgID, id)
}

func orgLocation(db *gorm.DB, orgID, id int64) (*Location, error) {
	var l Location
	if err := db.Raw(`SELECT id, organisation_id, mpn_id, name FROM locations WHERE id = ? AND organisation_id = ?`, id, orgID).Scan(&l).Error; err != nil {
		return nil, err
	}
	if l.ID == 0 {
		return nil, ErrNotFound
	}
	if err := db.Raw(`SELECT program_id FROM location_programs WHERE location_id = ? ORDER BY program_id`, id).Scan(&l.ProgramIDs).Error; err != nil {
		return nil, err
	}
	return &l, nil
}

// UpdateLocation changes a location's name and program enrolments. Claims
// already made keep their location; a location left out of a program can
// make no new claims in it.
func (s *Store) UpdateLocation(ctx context.Context, a Actor, orgID, id int64, in LocationInput) error {
	if fe := in.validate(false); len(fe) > 0 {
		return fe
	}
	return s.tx(ctx, func(tx *gorm.DB) error {
		l, err := orgLocation(tx, orgID, id)
		if err != nil {
			return err
		}
		if err := checkPrograms(tx, in.Programs); err != nil {
			return err
		}
		var changes []string
		if l.Name != in.Name {
			changes = append(changes, fmt.Sprintf("name: %s → %s", l.Name, in.Name))
		}
		before, err := programList(tx, l.ProgramIDs)
		if err != nil {
			return err
		}
		after, err := programList(tx, in.Programs)
		if err != nil {
			return err
		}
		if before != after {
			changes = append(changes, fmt.Sprintf("programs: %s → %s", before, after))
		}
		if len(changes) == 0 {
			return nil
		}
		if err := tx.Exec(`UPDATE locations SET name = ? WHERE id = ?`, in.Name, id).Error; err != nil {
			return err
		}
		if err := tx.Exec(`DELETE FROM location_programs WHERE location_id = ?`, id).Error; err != nil {
			return err
		}
		for _, p := range in.Programs {
			if err := tx.Exec(`INSERT INTO location_programs (location_id, program_id) VALUES (?, ?)`, id, p).Error; err != nil {
				return err
			}
		}
		return s.audit(tx, a, "location.update", auditLocationRef(id), l.MPNID+"; "+strings.Join(changes, "; "))
	})
}
