package models

import (
	"context"
	"errors"
	"time"

	"gorm.io/gorm"
)

// Lifetimes of the emailed single-use account links.
const (
	ResetLinkTTL  = time.Hour
	InviteLinkTTL = 72 * time.Hour
)

// Account-link purposes.
const (
	PurposeReset  = "reset"
	PurposeInvite = "invite"
)

// The kinds of account email; their Data is AccountMail.
const (
	MailPasswordReset = "password_reset"
	MailInvitation    = "invitation"
)

// AccountMail is the Data of password-reset and invitation emails.
type AccountMail struct {
	Name      string
	Link      string
	Inviter   string
	OrgName   string
	Role      Role
	ExpiresAt Time
}

// Errors of account links, each with its own message.
var (
	ErrLinkExpired = errors.New("link expired")
	ErrLinkUsed    = errors.New("link already used")
)

// issueAccountLink stores a new single-use link for a user and queues its
// email in the same transaction.
func (s *Store) issueAccountLink(tx *gorm.DB, u *User, purpose string, inviter *User) error {
	token, hash := newSecret()
	now := s.Now()
	ttl := ResetLinkTTL
	kind := MailPasswordReset
	if purpose == PurposeInvite {
		ttl, kind = InviteLinkTTL, MailInvitation
	}
	if err := tx.Exec(`INSERT INTO account_tokens (hash, user_id, purpose, created_at, expires_at) VALUES (?, ?, ?, ?, ?)`,
		blob(hash), u.ID, purpose, Ms(now), Ms(now.Add(ttl))).Error; err != nil {
		return err
	}
	link := s.publicURL + "/account/password/" + token
	lang := u.Language
	data := AccountMail{Name: u.Name, Link: link, OrgName: u.OrgName, Role: u.Role, ExpiresAt: At(now.Add(ttl))}
	if inviter != nil {
		data.Inviter = inviter.Name
		if data.Inviter == "" {
			data.Inviter = inviter.Email
		}
		if lang == "" {
			lang = inviter.Language
		}
	}
	if lang == "" {
		lang = "en"
	}
	_, err := s.enqueue(tx, &Mail{Kind: kind, To: u.Email, ToName: u.Name, Lang: lang, Secret: link, Data: data})
	return err
}

// RequestPasswordReset emails a reset link when the address belongs to an
// active account and does nothing otherwise; callers answer the same either way.
func (s *Store) RequestPasswordReset(ctx context.Context, a Actor, email string) error {
	u, err := s.UserByEmail(ctx, email)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if u.Disabled || u.OrgDisabled {
		return nil
	}
	return s.tx(ctx, func(tx *gorm.DB) error {
		if err := s.issueAccountLink(tx, u, PurposeReset, nil); err != nil {
			return err
		}
		return s.audit(tx, a, "user.reset_requested", userRef(u.ID), "")
	})
}

// AccountLink is a valid, unused link and its user.
type AccountLink struct {
	User    *User
	Purpose string
}

// CheckAccountLink says whether a link can be used (without using it).
func (s *Store) CheckAccountLink(ctx context.Context, token string) (*AccountLink, error) {
	return s.checkAccountLink(s.r(ctx), token)
}

func (s *Store) checkAccountLink(db *gorm.DB, token string) (*AccountLink, error) {
	var row struct {
		UserID    int64
		Purpose   string
		ExpiresAt Time
		UsedAt    Time
	}
	if err := db.Raw(`SELECT user_id, purpose, expires_at, used_at FROM account_tokens WHERE hash = ?`, hashSecret(token)).Scan(&row).Error; err != nil {
		return nil, err
	}
	if row.UserID == 0 {
		return nil, ErrNotFound
	}
	if !row.UsedAt.IsZero() {
		return nil, ErrLinkUsed
	}
	if !s.Now().Before(row.ExpiresAt.Time) {
		return nil, ErrLinkExpired
	}
	var u User
	if err := db.Raw(`SELECT `+userColumns+` FROM users u LEFT JOIN organisations o ON o.id = u.organisation_id WHERE u.id = ?`, row.UserID).Scan(&u).Error; err != nil {
		return nil, err
	}
	if u.ID == 0 || u.Disabled || u.OrgDisabled {
		return nil, ErrNotFound
	}
	return &AccountLink{User: &u, Purpose: row.Purpose}, nil
}

// UseAccountLink sets the password through a link, marks the link used and
// ends every session of the person, all in one transaction.
func (s *Store) UseAccountLink(ctx context.Context, a Actor, token, password string) (*User, error) {
	if msg := ValidatePassword(password); msg != "" {
		return nil, FieldErrors{"password": msg}
	}
	var u *User
	err := s.tx(ctx, func(tx *gorm.DB) error {
		l, err := s.checkAccountLink(tx, token)
		if err != nil {
			return err
		}
		u = l.User
		res := tx.Exec(`UPDATE account_tokens SET used_at = ? WHERE hash = ? AND used_at IS NULL`, Ms(s.Now()), hashSecret(token))
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected != 1 {
			return ErrLinkUsed
		}
		a.UserID, a.Label = u.ID, u.Email
		return s.setPassword(tx, a, u.ID, password, nil)
	})
	return u, err
}

// CreateUserCLI creates a user for `cpor user create`. Partner roles need an
// existing organisation. Without a password it returns a one-time
// set-password link instead of emailing it (the operator passes it on).
func (s *Store) CreateUserCLI(ctx context.Context, n NewUser, orgName string) (string, error) {
	if n.Role.IsPartner() {
		if orgName == "" {
			return "", errors.New("--org is required for partner roles")
		}
		o, err := s.OrganisationByName(ctx, orgName)
		if err != nil {
			return "", errors.New("no organisation named " + orgName)
		}
		n.OrganisationID = o.ID
	} else if orgName != "" {
		return "", errors.New("--org is only for partner roles")
	}
	link := ""
	err := s.tx(ctx, func(tx *gorm.DB) error {
		id, err := s.CreateUser(ctx, tx, n)
		if err != nil {
			if errors.Is(err, ErrDuplicate) {
				return errors.New("a user with this email already exists")
			}
			return err
		}
		if n.Password == "" {
			token, hash := newSecret()
			now := s.Now()
			if err := tx.Exec(`INSERT INTO account_tokens (hash, user_id, purpose, created_at, expires_at) VALUES (?, ?, 'invite', ?, ?)`,
				blob(hash), id, Ms(now), Ms(now.Add(InviteLinkTTL))).Error; err != nil {
				return err
			}
			link = s.publicURL + "/account/password/" + token
		}
		return s.audit(tx, Actor{Label: "cli"}, "user.create", userRef(id), string(n.Role))
	})
	return link, err
}
