package models

import (
	"context"
	"errors"
	"strings"

	"gorm.io/gorm"
)

// CustomerView is what a customer's link page shows.
type CustomerView struct {
	Claim    *Claim
	Lines    []Line
	Email    string // the contact the link was sent to
	Replaced bool
	// Status is the claim's status as of now: a passed opt-out deadline
	// counts even before the worker has run (SPEC §4.4).
	Status     Status
	OfficialAt Time
}

// ErrLinkReplaced means a newer email replaced this customer link.
var ErrLinkReplaced = errors.New("link replaced")

func (s *Store) linkByToken(db *gorm.DB, token string) (*consentLink, error) {
	if len(token) < 40 || len(token) > 64 {
		return nil, ErrNotFound
	}
	var l consentLink
	if err := db.Raw(`SELECT id, claim_id, email, name, language, source, coalesce(outbox_id, 0) AS outbox_id, created_at, replaced_at
		FROM consent_links WHERE token_hash = ?`, hashSecret(token)).Scan(&l).Error; err != nil {
		return nil, err
	}
	if l.ID == 0 {
		return nil, ErrNotFound
	}
	return &l, nil
}

// CustomerLink reads the page behind a customer link. It never changes
// anything: mail scanners open links.
func (s *Store) CustomerLink(ctx context.Context, token string) (*CustomerView, error) {
	db := s.r(ctx)
	l, err := s.linkByToken(db, token)
	if err != nil {
		return nil, err
	}
	c, lines, err := s.claimFor(db, Viewer{Role: RoleOperator}, l.ClaimID)
	if err != nil {
		return nil, err
	}
	v := &CustomerView{Claim: c, Lines: lines, Email: l.Email, Replaced: !l.ReplacedAt.IsZero(), Status: c.Status, OfficialAt: c.OfficialAt}
	now := s.Now()
	if c.Status == StatusConsent && !c.CustomerMailFailed && !c.ConsentDueAt.IsZero() && !now.Before(c.ConsentDueAt.Time) {
		v.Status, v.OfficialAt = StatusOfficial, c.ConsentDueAt
	}
	return v, nil
}

// CustomerDecide applies a customer's decision made through a link: accept,
// opt out or end. The first decision wins; repeating one's own is "already
// recorded" (AlreadyDone); anyone else's, or a deadline that decided first,
// is a conflict.
func (s *Store) CustomerDecide(ctx context.Context, token string, act Action, note, ip string) (Result, error) {
	if act != ActCustomerAccept && act != ActCustomerOptOut && act != ActCustomerEnd {
		return Result{}, ErrForbidden
	}
	var res Result
	err := s.tx(ctx, func(tx *gorm.DB) error {
		l, err := s.linkByToken(tx, token)
		if err != nil {
			return err
		}
		if !l.ReplacedAt.IsZero() {
			return ErrLinkReplaced
		}
		who := Who{Role: RoleCustomer, Label: "customer " + l.Email, IP: ip, LinkID: l.ID}
		if runeLen(note) > 2000 {
			note = string([]rune(note)[:2000])
		}
		res, err = s.apply(tx, who, Request{ClaimID: l.ClaimID, Action: act, Note: strings.TrimSpace(note)})
		if err == nil && res.AlreadyDone && !s.decidedBy(tx, l, act) {
			// The claim is where the decision leads, but not by this
			// contact's decision: another contact or the deadline came first.
			return ErrConflict
		}
		return err
	})
	return res, err
}

// decidedBy reports whether the claim's recorded customer decision is act,
// taken by the link's contact.
func (s *Store) decidedBy(tx *gorm.DB, l *consentLink, act Action) bool {
	want := map[Action]string{ActCustomerAccept: "accepted", ActCustomerOptOut: "opted_out", ActCustomerEnd: "ended"}[act]
	var n int64
	tx.Raw(`SELECT count(*) FROM claims WHERE id = ? AND customer_decision = ? AND lower(customer_decided_by) = lower(?)`,
		l.ClaimID, want, l.Email).Scan(&n)
	return n > 0
}

// RequestNewLink mails a fresh personal link to an address that is a
// directory contact of a tenant with a claim awaiting consent or official.
// It does nothing otherwise, and the caller answers the same either way.
func (s *Store) RequestNewLink(ctx context.Context, email string) error {
	email = strings.TrimSpace(email)
	var rows []struct {
		ClaimID  int64
		Name     string
		Email    string
		Language string
	}
	if err := s.r(ctx).Raw(`SELECT c.id AS claim_id, tc.name, tc.email, tc.language FROM tenant_contacts tc
		JOIN claims c ON c.tenant_id = tc.tenant_id AND c.status IN ('consent','official')
		WHERE tc.email = ? ORDER BY c.id`, email).Scan(&rows).Error; err != nil {
		return err
	}
	if len(rows) == 0 {
		return nil
	}
	now := s.Now()
	return s.tx(ctx, func(tx *gorm.DB) error {
		for _, r := range rows {
			c, lines, err := s.engineClaim(tx, Viewer{Role: RoleOperator}, r.ClaimID)
			if err != nil {
				return err
			}
			// Only the newest link of this contact works.
			if err := tx.Exec(`UPDATE consent_links SET replaced_at = ? WHERE claim_id = ? AND email = ? AND replaced_at IS NULL`,
				Ms(now), c.ID, r.Email).Error; err != nil {
				return err
			}
			a := &applyCtx{s: s, tx: tx, now: now, who: Who{Role: RoleCustomer, Label: "customer " + r.Email}, c: c, lines: lines, detail: map[string]any{}}
			if err := a.sendLinkTo(consentLink{Email: r.Email, Name: r.Name, Language: r.Language, Source: "directory"}, "consent_new_link"); err != nil {
				return err
			}
			if err := addHistory(tx, c.ID, now, a.who, "new_link", c.Status, c.Status, ""); err != nil {
				return err
			}
		}
		return nil
	})
}

// afterMailFailed flags a claim whose every current customer email failed
// for good: it must not become official on silence (SPEC §4.5).
func (s *Store) afterMailFailed(ctx context.Context, outboxID int64) error {
	return s.w(ctx).Exec(`UPDATE claims SET customer_mail_failed = 1 WHERE status = 'consent' AND id = (
			SELECT claim_id FROM consent_links WHERE outbox_id = ?)
		AND NOT EXISTS (SELECT 1 FROM consent_links l JOIN outbox o ON o.id = l.outbox_id
			WHERE l.claim_id = claims.id AND l.replaced_at IS NULL AND o.state <> 'failed')`, outboxID).Error
}
