package models

import (
	"context"
	"errors"
	"strings"

	"gorm.io/gorm"
)

// Role is the one role a person has.
type Role string

// The four signed-in roles.
const (
	RoleAdmin    Role = "incentives_admin"
	RoleUser     Role = "incentives_user"
	RoleReviewer Role = "reviewer"
	RoleOperator Role = "operator"
)

// Roles lists every role in display order.
var Roles = []Role{RoleAdmin, RoleUser, RoleReviewer, RoleOperator}

// IsPartner reports whether the role belongs to a partner organisation.
func (r Role) IsPartner() bool { return r == RoleAdmin || r == RoleUser }

// Valid reports whether r is one of the four roles.
func (r Role) Valid() bool {
	for _, x := range Roles {
		if r == x {
			return true
		}
	}
	return false
}

// ParseRole accepts the CLI spelling (incentives-admin) or the stored one.
func ParseRole(s string) (Role, bool) {
	r := Role(strings.ReplaceAll(strings.ToLower(strings.TrimSpace(s)), "-", "_"))
	return r, r.Valid()
}

// User is a person who signs in.
type User struct {
	ID             int64
	Email          string
	Name           string
	Role           Role
	OrganisationID int64
	OrgName        string
	Language       string // "" when the person has not chosen one
	PasswordHash   string
	Disabled       bool
	OrgDisabled    bool
	CreatedAt      Time
}

// Principal is the signed-in person as the request sees them.
type Principal struct {
	User
	// Locations is the location scope of an incentives user; empty for others.
	Locations []int64
}

// SeesWholeOrg reports whether the principal sees every claim of its organisation.
func (p *Principal) SeesWholeOrg() bool { return p.Role == RoleAdmin }

// InScope reports whether the principal may act on claims of a location.
func (p *Principal) InScope(locationID int64) bool {
	if p.Role == RoleAdmin {
		return true
	}
	for _, l := range p.Locations {
		if l == locationID {
			return true
		}
	}
	return false
}

const userColumns = `u.id, u.email, u.name, u.role, coalesce(u.organisation_id, 0) AS organisation_id,
	coalesce(o.name, '') AS org_name, u.language, u.password_hash, u.disabled,
	coalesce(o.disabled, 0) AS org_disabled, u.created_at`

// UserByEmail finds a user by email, case-insensitively.
func (s *Store) UserByEmail(ctx context.Context, email string) (*User, error) {
	var u User
	err := s.r(ctx).Raw(`SELECT `+userColumns+` FROM users u LEFT JOIN organisations o ON o.id = u.organisation_id
		WHERE u.email = ?`, strings.TrimSpace(email)).Scan(&u).Error
	if err != nil {
		return nil, err
	}
	if u.ID == 0 {
		return nil, ErrNotFound
	}
	return &u, nil
}

// UserByID finds a user by ID.
func (s *Store) UserByID(ctx context.Context, id int64) (*User, error) {
	var u User
	err := s.r(ctx).Raw(`SELECT `+userColumns+` FROM users u LEFT JOIN organisations o ON o.id = u.organisation_id
		WHERE u.id = ?`, id).Scan(&u).Error
	if err != nil {
		return nil, err
	}
	if u.ID == 0 {
		return nil, ErrNotFound
	}
	return &u, nil
}

// Authenticate checks an email and password. It returns ErrNotFound for an
// unknown address, a wrong password or a disabled account alike, and spends
// the same time on each.
func (s *Store) Authenticate(ctx context.Context, email, password string) (*User, error) {
	u, err := s.UserByEmail(ctx, email)
	if errors.Is(err, ErrNotFound) {
		CheckPassword(dummyHash(), password)
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	if !CheckPassword(u.PasswordHash, password) || u.Disabled || u.OrgDisabled {
		return nil, ErrNotFound
	}
	return u, nil
}

// NewUser is what CreateUser needs.
type NewUser struct {
	Email          string
	Name           string
	Role           Role
	OrganisationID int64
	Language       string
	Password       string // empty: the person sets one through an emailed link
	Locations      []int64
}

// ValidatePassword returns a catalogue message ID when the password is unacceptable.
func ValidatePassword(pw string) string {
	if len([]rune(pw)) < MinPasswordLength {
		return "err.password_short"
	}
	if len(pw) > 1024 {
		return "err.password_long"
	}
	return ""
}

// CreateUser inserts a user inside tx (or its own transaction when tx is nil).
func (s *Store) CreateUser(ctx context.Context, tx *gorm.DB, n NewUser) (int64, error) {
	var id int64
	run := func(tx *gorm.DB) error {
		hash := ""
		if n.Password != "" {
			hash = HashPassword(n.Password)
		}
		res := tx.Exec(`INSERT INTO users (email, name, role, organisation_id, language, password_hash, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, strings.TrimSpace(n.Email), n.Name, n.Role, nullID(n.OrganisationID),
			n.Language, hash, Ms(s.Now()))
		if res.Error != nil {
			return translate(res.Error)
		}
		if err := tx.Raw(`SELECT last_insert_rowid()`).Scan(&id).Error; err != nil {
			return err
		}
		for _, l := range n.Locations {
			if err := tx.Exec(`INSERT INTO user_locations (user_id, location_id) VALUES (?, ?)`, id, l).Error; err != nil {
				return err
			}
		}
		return nil
	}
	if tx != nil {
		return id, run(tx)
	}
	return id, s.tx(ctx, run)
}

// UserLocations returns the location scope of a user.
func (s *Store) UserLocations(ctx context.Context, userID int64) ([]int64, error) {
	var ids []int64
	err := s.r(ctx).Raw(`SELECT location_id FROM user_locations WHERE user_id = ? ORDER BY location_id`, userID).Scan(&ids).Error
	return ids, err
}

// UpdateProfile changes a person's own name and language.
func (s *Store) UpdateProfile(ctx context.Context, a Actor, userID int64, name, lang string) error {
	return s.tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Exec(`UPDATE users SET name = ?, language = ? WHERE id = ?`, name, lang, userID).Error; err != nil {
			return err
		}
		return s.audit(tx, a, "profile.update", userRef(userID), "name, language="+lang)
	})
}

// ChangePassword checks the current password, stores the new one and ends
// every other session of the person. keepSession is the hash of the session
// that made the change (nil to end them all).
func (s *Store) ChangePassword(ctx context.Context, a Actor, userID int64, current, next string, keepSession []byte) error {
	u, err := s.UserByID(ctx, userID)
	if err != nil {
		return err
	}
	if !CheckPassword(u.PasswordHash, current) {
		return FieldErrors{"current": "err.password_wrong"}
	}
	if msg := ValidatePassword(next); msg != "" {
		return FieldErrors{"new": msg}
	}
	return s.tx(ctx, func(tx *gorm.DB) error {
		return s.setPassword(tx, a, userID, next, keepSession)
	})
}

func (s *Store) setPassword(tx *gorm.DB, a Actor, userID int64, pw string, keepSession []byte) error {
	if err := tx.Exec(`UPDATE users SET password_hash = ? WHERE id = ?`, HashPassword(pw), userID).Error; err != nil {
		return err
	}
	if err := tx.Exec(`DELETE FROM sessions WHERE user_id = ? AND id_hash IS NOT ?`, userID, keepSession).Error; err != nil {
		return err
	}
	return s.audit(tx, a, "user.password", userRef(userID), "")
}
