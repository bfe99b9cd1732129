package models

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"gorm.io/gorm"
)

// Errors of the user-administration rules, each shown to the person as its own message.
var (
	// ErrLastAdmin means the change would leave an organisation without an active incentives admin.
	ErrLastAdmin = errors.New("an organisation keeps at least one active incentives admin")
	// ErrLastOperator means the change would leave the platform without an active operator.
	ErrLastOperator = errors.New("the platform keeps at least one active operator")
	// ErrOwnAccount means a person tried to disable their own account.
	ErrOwnAccount = errors.New("you cannot disable your own account")
)

// UserScope is the set of users an administrator manages: the users of one
// partner organisation (OrgID set), or the platform's reviewers and operators
// (OrgID zero). Every query of this file is limited by it, so a user outside
// the scope is simply not found.
type UserScope struct {
	OrgID int64
}

// PlatformScope is the operators' view of reviewers and operators.
var PlatformScope = UserScope{}

// OrgScope is an incentives admin's view of their own organisation.
func OrgScope(orgID int64) UserScope { return UserScope{OrgID: orgID} }

func (sc UserScope) where() (string, []any) {
	if sc.OrgID != 0 {
		return "u.organisation_id = ?", []any{sc.OrgID}
	}
	return "u.role IN ('reviewer','operator')", nil
}

// Roles returns the roles a user of this scope may have.
func (sc UserScope) Roles() []Role {
	if sc.OrgID != 0 {
		return []Role{RoleAdmin, RoleUser}
	}
	return []Role{RoleReviewer, RoleOperator}
}

func (sc UserScope) allows(r Role) bool {
	for _, x := range sc.Roles() {
		if x == r {
			return true
		}
	}
	return false
}

// Account is a user as the administration pages show it.
type Account struct {
	ID             int64
	Email          string
	Name           string
	Role           Role
	OrganisationID int64
	Language       string
	Disabled       bool
	// Invited is true until the person has set a password through their invitation.
	Invited      bool
	CreatedAt    Time
	LastSignInAt Time
	Sessions     int
	// Locations is the location scope (IDs), for partner users.
	Locations []int64 `gorm:"-"`
}

// DisplayName is the name, or the email when no name is known.
func (a Account) DisplayName() string {
	if a.Name != "" {
		return a.Name
	}
	return a.Email
}

const accountColumns = `u.id, u.email, u.name, u.role, coalesce(u.organisation_id, 0) AS organisation_id, u.language,
	u.disabled, u.password_hash = '' AS invited, u.created_at,
	(SELECT a.at FROM audit_log a WHERE a.actor_id = u.id AND a.kind = 'signin.success' ORDER BY a.at DESC LIMIT 1) AS last_sign_in_at,
	(SELECT count(*) FROM sessions s WHERE s.user_id = u.id) AS sessions`

// ScopedUsers lists the users of a scope: active ones first, then by name and email.
func (s *Store) ScopedUsers(ctx context.Context, sc UserScope) ([]Account, error) {
	cond, args := sc.where()
	var out []Account
	db := s.r(ctx)
	if err := db.Raw(`SELECT `+accountColumns+` FROM users u WHERE `+cond+`
		ORDER BY u.disabled, CASE WHEN u.name = '' THEN u.email ELSE u.name END COLLATE NOCASE, u.email`, args...).Scan(&out).Error; err != nil {
		return nil, err
	}
	if sc.OrgID != 0 && len(out) > 0 {
		var rows []struct{ UserID, LocationID int64 }
		if err := db.Raw(`SELECT ul.user_id, ul.location_id FROM user_locations ul JOIN users u ON u.id = ul.user_id
			WHERE u.organisation_id = ? ORDER BY ul.location_id`, sc.OrgID).Scan(&rows).Error; err != nil {
			return nil, err
		}
		byUser := map[int64][]int64{}
		for _, r := range rows {
			byUser[r.UserID] = append(byUser[r.UserID], r.LocationID)
		}
		for i := range out {
			out[i].Locations = byUser[out[i].ID]
		}
	}
	return out, nil
}

// ScopedUser returns one user of a scope, or ErrNotFound.
func (s *Store) ScopedUser(ctx context.Context, sc UserScope, id int64) (*Account, error) {
	return s.scopedUser(s.r(ctx), sc, id)
}

func (s *Store) scopedUser(db *gorm.DB, sc UserScope, id int64) (*Account, error) {
	cond, args := sc.where()
	var a Account
	if err := db.Raw(`SELECT `+accountColumns+` FROM users u WHERE u.id = ? AND `+cond, append([]any{id}, args...)...).Scan(&a).Error; err != nil {
		return nil, err
	}
	if a.ID == 0 {
		return nil, ErrNotFound
	}
	if sc.OrgID != 0 {
		if err := db.Raw(`SELECT location_id FROM user_locations WHERE user_id = ? ORDER BY location_id`, id).Scan(&a.Locations).Error; err != nil {
			return nil, err
		}
	}
	return &a, nil
}

// Invitation is what an administrator fills in to invite a person.
type Invitation struct {
	Email     string
	Name      string
	Role      Role
	Language  string // "" to use the inviter's
	Locations []int64
}

// Normalize trims what was typed.
func (in *Invitation) Normalize() {
	in.Email = strings.TrimSpace(in.Email)
	in.Name = strings.TrimSpace(in.Name)
}

// Validate checks the invitation on its own (the database checks the rest).
func (in *Invitation) Validate(sc UserScope) FieldErrors {
	fe := FieldErrors{}
	switch {
	case in.Email == "":
		fe.Add("email", "err.required")
	case len(in.Email) > 254 || !ValidEmail(in.Email):
		fe.Add("email", "err.email")
	}
	if runeLen(in.Name) > 120 {
		fe.Add("name", "err.too_long_120")
	}
	if !sc.allows(in.Role) {
		fe.Add("role", "admin.err.role")
	}
	if in.Language != "" && in.Language != "en" && in.Language != "hu" {
		fe.Add("language", "admin.err.language")
	}
	if in.Role == RoleUser && len(in.Locations) == 0 {
		fe.Add("locations", "admin.err.locations_required")
	}
	return fe
}

// InviteUser creates an account in the scope and emails its single-use
// set-password link (valid InviteLinkTTL), in one transaction.
func (s *Store) InviteUser(ctx context.Context, a Actor, inviter *User, sc UserScope, in Invitation) (int64, error) {
	in.Normalize()
	if sc.OrgID == 0 {
		in.Locations = nil // reviewers and operators have no location scope
	}
	if fe := in.Validate(sc); len(fe) > 0 {
		return 0, fe
	}
	var id int64
	err := s.tx(ctx, func(tx *gorm.DB) error {
		orgName := ""
		if sc.OrgID != 0 {
			var org Organisation
			if err := tx.Raw(`SELECT id, name, disabled FROM organisations WHERE id = ?`, sc.OrgID).Scan(&org).Error; err != nil {
				return err
			}
			if org.ID == 0 {
				return ErrNotFound
			}
			orgName = org.Name
			// Nobody could use the link: people of a disabled organisation cannot sign in.
			if org.Disabled {
				return FieldErrors{"email": "admin.err.org_disabled"}
			}
			if err := checkOrgLocations(tx, sc.OrgID, in.Locations); err != nil {
				return err
			}
		}
		var err error
		id, err = s.CreateUser(ctx, tx, NewUser{Email: in.Email, Name: in.Name, Role: in.Role, OrganisationID: sc.OrgID,
			Language: in.Language, Locations: in.Locations})
		if errors.Is(err, ErrDuplicate) {
			return FieldErrors{"email": "admin.err.email_taken"}
		}
		if err != nil {
			return err
		}
		u := &User{ID: id, Email: in.Email, Name: in.Name, Role: in.Role, OrganisationID: sc.OrgID, OrgName: orgName, Language: in.Language}
		if err := s.issueAccountLink(tx, u, PurposeInvite, inviter); err != nil {
			return err
		}
		detail := "email=" + in.Email + "; role=" + string(in.Role)
		if len(in.Locations) > 0 {
			mpn, err := mpnList(tx, in.Locations)
			if err != nil {
				return err
			}
			detail += "; locations=" + mpn
		}
		return s.audit(tx, a, "user.invite", userRef(id), detail)
	})
	return id, err
}

// checkOrgLocations refuses location IDs that are not the organisation's.
func checkOrgLocations(tx *gorm.DB, orgID int64, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	var n int
	if err := tx.Raw(`SELECT count(*) FROM locations WHERE organisation_id = ? AND id IN ?`, orgID, ids).Scan(&n).Error; err != nil {
		return err
	}
	if n != len(uniqueIDs(ids)) {
		return FieldErrors{"locations": "admin.err.location_unknown"}
	}
	return nil
}

func uniqueIDs(ids []int64) []int64 {
	seen := map[int64]bool{}
	var out []int64
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// mpnList names locations by their MPN IDs, for audit details.
func mpnList(tx *gorm.DB, ids []int64) (string, error) {
	if len(ids) == 0 {
		return "none", nil
	}
	var mpn []string
	err := tx.Raw(`SELECT mpn_id FROM locations WHERE id IN ? ORDER BY mpn_id`, ids).Scan(&mpn).Error
	return strings.Join(mpn, ","), err
}

// activeAdmins counts an organisation's incentives admins who are not disabled.
// A person invited but not yet signed in counts: they can always get in
// through their invitation or "Forgot password?".
func activeAdmins(tx *gorm.DB, orgID int64) (int, error) {
	var n int
	err := tx.Raw(`SELECT count(*) FROM users WHERE organisation_id = ? AND role = 'incentives_admin' AND disabled = 0`, orgID).Scan(&n).Error
	return n, err
}

func activeOperators(tx *gorm.DB) (int, error) {
	var n int
	err := tx.Raw(`SELECT count(*) FROM users WHERE role = 'operator' AND disabled = 0`).Scan(&n).Error
	return n, err
}

// checkKeepers enforces, after a change inside the same transaction, that an
// organisation keeps an active incentives admin and the platform an active
// operator. The writer runs one immediate transaction at a time, so two
// admins demoting each other at once cannot both pass.
func checkKeepers(tx *gorm.DB, sc UserScope) error {
	if sc.OrgID != 0 {
		n, err := activeAdmins(tx, sc.OrgID)
		if err != nil {
			return err
		}
		if n == 0 {
			return ErrLastAdmin
		}
		return nil
	}
	n, err := activeOperators(tx)
	if err != nil {
		return err
	}
	if n == 0 {
		return ErrLastOperator
	}
	return nil
}

// SetUserRole changes a user's role within the scope's roles (partner
// organisations: incentives admin ↔ incentives user).
func (s *Store) SetUserRole(ctx context.Context, a Actor, sc UserScope, id int64, role Role) error {
	if !sc.allows(role) {
		return FieldErrors{"role": "admin.err.role"}
	}
	return s.tx(ctx, func(tx *gorm.DB) error {
		u, err := s.scopedUser(tx, sc, id)
		if err != nil {
			return err
		}
		if u.Role == role {
			return nil
		}
		if err := tx.Exec(`UPDATE users SET role = ? WHERE id = ?`, role, id).Error; err != nil {
			return err
		}
		if err := checkKeepers(tx, sc); err != nil {
			return err
		}
		return s.audit(tx, a, "user.role", userRef(id), fmt.Sprintf("%s: %s → %s", u.Email, u.Role, role))
	})
}

// SetUserLocations replaces a partner user's location scope. An incentives
// user needs at least one location; an admin's scope is kept for the day
// they become a user again.
func (s *Store) SetUserLocations(ctx context.Context, a Actor, sc UserScope, id int64, locations []int64) error {
	if sc.OrgID == 0 {
		return ErrNotFound
	}
	locations = uniqueIDs(locations)
	return s.tx(ctx, func(tx *gorm.DB) error {
		u, err := s.scopedUser(tx, sc, id)
		if err != nil {
			return err
		}
		if u.Role == RoleUser && len(locations) == 0 {
			return FieldErrors{"locations": "admin.err.locations_required"}
		}
		if err := checkOrgLocations(tx, sc.OrgID, locations); err != nil {
			return err
		}
		before, err := mpnList(tx, u.Locations)
		if err != nil {
			return err
		}
		after, err := mpnList(tx, locations)
		if err != nil {
			return err
		}
		if before == after {
			return nil
		}
		if err := tx.Exec(`DELETE FROM user_locations WHERE user_id = ?`, id).Error; err != nil {
			return err
		}
		for _, l := range locations {
			if err := tx.Exec(`INSERT INTO user_locations (user_id, location_id) VALUES (?, ?)`, id, l).Error; err != nil {
				return err
			}
		}
		return s.audit(tx, a, "user.scope", userRef(id), fmt.Sprintf("%s: %s → %s", u.Email, before, after))
	})
}

// SetUserDisabled disables or re-enables a user. Disabling ends every
// session of the person in the same transaction, so their next request is
// signed out. Nobody disables their own account, and the scope keeps an
// active incentives admin (or operator).
func (s *Store) SetUserDisabled(ctx context.Context, a Actor, sc UserScope, id int64, disabled bool) error {
	return s.tx(ctx, func(tx *gorm.DB) error {
		u, err := s.scopedUser(tx, sc, id)
		if err != nil {
			return err
		}
		if u.Disabled == disabled {
			return nil
		}
		if err := tx.Exec(`UPDATE users SET disabled = ? WHERE id = ?`, disabled, id).Error; err != nil {
			return err
		}
		kind := "user.enable"
		detail := u.Email
		if disabled {
			kind = "user.disable"
			if err := checkKeepers(tx, sc); err != nil {
				return err
			}
			if id == a.UserID {
				return ErrOwnAccount
			}
			res := tx.Exec(`DELETE FROM sessions WHERE user_id = ?`, id)
			if res.Error != nil {
				return res.Error
			}
			detail += fmt.Sprintf("; %d sessions ended", res.RowsAffected)
		}
		return s.audit(tx, a, kind, userRef(id), detail)
	})
}

// SendUserLink emails a user of the scope a new single-use link: a new
// invitation while they have never set a password, otherwise a password
// reset. It reports which one it sent.
func (s *Store) SendUserLink(ctx context.Context, a Actor, inviter *User, sc UserScope, id int64) (purpose string, err error) {
	err = s.tx(ctx, func(tx *gorm.DB) error {
		acc, err := s.scopedUser(tx, sc, id)
		if err != nil {
			return err
		}
		if acc.Disabled {
			return ErrConflict
		}
		var u User
		if err := tx.Raw(`SELECT `+userColumns+` FROM users u LEFT JOIN organisations o ON o.id = u.organisation_id WHERE u.id = ?`, id).Scan(&u).Error; err != nil {
			return err
		}
		if u.OrgDisabled {
			return ErrConflict
		}
		purpose = PurposeReset
		kind := "user.reset_sent"
		var from *User
		if acc.Invited {
			purpose, kind, from = PurposeInvite, "user.invite_resent", inviter
		}
		if err := s.issueAccountLink(tx, &u, purpose, from); err != nil {
			return err
		}
		return s.audit(tx, a, kind, userRef(id), u.Email)
	})
	return purpose, err
}
