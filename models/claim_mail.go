package models

import (
	"database/sql"
	"strings"

	"gorm.io/gorm"
)

// ClaimMail is the Data of every claim email: the facts the recipient needs,
// and nothing of another organisation.
type ClaimMail struct {
	Number       string
	Name         string
	OrgName      string
	MPNID        string
	ProgramName  string
	ActivityName string
	TenantName   string
	TenantID     string
	Domain       string
	Lines        []string
	Status       Status
	Reason       string
	Note         string
	Reasons      []string
	// Deadline is the one that matters to the recipient: the opt-out
	// deadline, the information deadline or the end of the dispute window.
	Deadline   Time
	ClaimURL   string
	ConsentURL string // customer emails only
	Decision   string // accepted, opted_out or ended
	DecidedBy  string
	// ForUser is true when the recipient signs in (partner emails link to the claim).
	ForUser bool
}

// mailData builds the claim facts once per action.
func (a *applyCtx) mailData() ClaimMail {
	c := a.c
	d := ClaimMail{
		Number: c.Number(), Name: c.Name, OrgName: c.OrgName, MPNID: c.MPNID, ProgramName: c.ProgramName,
		ActivityName: c.ActivityName, TenantName: c.TenantName, TenantID: c.TenantID, Domain: c.Domain,
		Status: c.Status, Reason: c.Reason, Note: c.Note, Reasons: c.InfoReasonList(),
		ClaimURL: a.s.publicURL + "/claims/" + itoa(c.ID), Decision: c.CustomerDecision, DecidedBy: c.CustomerDecidedBy,
	}
	for _, l := range a.lines {
		if l.State == StatusEnded && c.Status != StatusEnded {
			continue
		}
		name := l.ProductName
		if l.SubscriptionID != "" {
			name += " (" + l.SubscriptionID + ")"
		}
		d.Lines = append(d.Lines, name)
	}
	switch c.Status {
	case StatusConsent:
		d.Deadline = c.ConsentDueAt
	case StatusActionRequired:
		d.Deadline = c.InfoDueAt
	case StatusRejected:
		d.Deadline = c.DisputeUntil
	}
	return d
}

type recipient struct {
	Email, Name, Language string
}

// partnerRecipients are the claim's creator and its partner contact, each in
// their own language (a contact who is not a user gets the organisation's).
func (a *applyCtx) partnerRecipients() ([]recipient, error) {
	type user struct {
		Email, Name, Language string
		Disabled              bool
	}
	var users []user
	if err := queryRaw(a.tx, `SELECT email, name, language, disabled FROM users WHERE id = ? OR (organisation_id = ? AND email = ?)`,
		[]any{a.c.CreatorID, a.c.OrganisationID, a.c.PartnerContactEmail}, func(r *sql.Rows) error {
			var u user
			err := r.Scan(&u.Email, &u.Name, &u.Language, &u.Disabled)
			users = append(users, u)
			return err
		}); err != nil {
		return nil, err
	}
	var out []recipient
	seen := map[string]bool{}
	add := func(r recipient) {
		if r.Email == "" || seen[strings.ToLower(r.Email)] {
			return
		}
		if r.Language == "" {
			r.Language = a.c.OrgLanguage
		}
		seen[strings.ToLower(r.Email)] = true
		out = append(out, r)
	}
	for _, u := range users {
		if !u.Disabled {
			add(recipient{u.Email, u.Name, u.Language})
		}
	}
	if !seen[strings.ToLower(a.c.PartnerContactEmail)] {
		// A typed partner contact who is a person of another organisation
		// gets nothing: partners never see each other's claims, emails included.
		var elsewhere int64
		if err := queryRaw(a.tx, `SELECT count(*) FROM users WHERE email = ? AND coalesce(organisation_id, 0) <> ?`,
			[]any{a.c.PartnerContactEmail, a.c.OrganisationID}, func(r *sql.Rows) error { return r.Scan(&elsewhere) }); err != nil {
			return nil, err
		}
		if elsewhere == 0 {
			add(recipient{a.c.PartnerContactEmail, a.c.PartnerContactName, ""})
		}
	}
	return out, nil
}

// mailPartner queues a claim email to the partner side.
func (a *applyCtx) mailPartner(kind string) error {
	rcpts, err := a.partnerRecipients()
	if err != nil {
		return err
	}
	return a.mailTo(kind, rcpts)
}

// mailAdmins queues a claim email to the organisation's active incentives admins.
func (a *applyCtx) mailAdmins(kind string) error {
	var rcpts []recipient
	if err := a.tx.Raw(`SELECT email, name, language FROM users WHERE organisation_id = ? AND role = 'incentives_admin' AND disabled = 0 ORDER BY id`,
		a.c.OrganisationID).Scan(&rcpts).Error; err != nil {
		return err
	}
	return a.mailTo(kind, rcpts)
}

func (a *applyCtx) mailTo(kind string, rcpts []recipient) error {
	d := a.mailData()
	d.ForUser = true
	for _, r := range rcpts {
		lang := r.Language
		if lang == "" {
			lang = a.c.OrgLanguage
		}
		if _, err := a.s.enqueue(a.tx, &Mail{Kind: kind, To: r.Email, ToName: r.Name, Lang: lang, ClaimID: a.c.ID, Data: d}); err != nil {
			return err
		}
	}
	return nil
}

// consentLink is a customer's personal link (stored as a hash only).
type consentLink struct {
	ID         int64
	ClaimID    int64
	Email      string
	Name       string
	Language   string
	Source     string
	OutboxID   int64
	CreatedAt  Time
	ReplacedAt Time
}

// consentRecipients are the tenant's directory contacts, plus the contact the
// partner typed when its domain is one of the tenant's verified domains (a
// partner could otherwise type an address of their own).
func (s *Store) consentRecipients(tx *gorm.DB, c *Claim) ([]consentLink, error) {
	contacts, err := tenantContacts(tx, c.TenantID)
	if err != nil {
		return nil, err
	}
	var out []consentLink
	seen := map[string]bool{}
	for _, ct := range contacts {
		seen[strings.ToLower(ct.Email)] = true
		out = append(out, consentLink{Email: ct.Email, Name: ct.Name, Language: ct.Language, Source: "directory"})
	}
	email := strings.TrimSpace(c.CustomerContactEmail)
	if at := strings.LastIndexByte(email, '@'); at > 0 && !seen[strings.ToLower(email)] {
		var n int64
		if err := tx.Raw(`SELECT count(*) FROM tenant_domains WHERE tenant_id = ? AND domain = ?`, c.TenantID,
			strings.ToLower(email[at+1:])).Scan(&n).Error; err != nil {
			return nil, err
		}
		if n > 0 {
			lang := c.OrgLanguage
			if len(contacts) > 0 {
				lang = contacts[0].Language
			}
			out = append(out, consentLink{Email: email, Name: c.CustomerContactName, Language: lang, Source: "partner"})
		}
	}
	return out, nil
}

// sendConsentLinks issues a new personal link to every customer recipient
// and queues the consent email carrying it.
func (a *applyCtx) sendConsentLinks() error {
	rcpts, err := a.s.consentRecipients(a.tx, a.c)
	if err != nil {
		return err
	}
	for _, r := range rcpts {
		if err := a.sendLinkTo(r, "consent_request"); err != nil {
			return err
		}
	}
	return nil
}

// sendLinkTo stores a new personal link for one contact and queues the email carrying it.
func (a *applyCtx) sendLinkTo(r consentLink, kind string) error {
	token, hash := newSecret()
	if err := a.tx.Exec(`INSERT INTO consent_links (claim_id, email, name, language, source, token_hash, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		a.c.ID, r.Email, r.Name, r.Language, r.Source, hash, Ms(a.now)).Error; err != nil {
		return err
	}
	linkID, err := lastID(a.tx)
	if err != nil {
		return err
	}
	d := a.mailData()
	d.ConsentURL = a.s.publicURL + "/c/" + token
	outboxID, err := a.s.enqueue(a.tx, &Mail{Kind: kind, To: r.Email, ToName: r.Name, Lang: r.Language,
		ClaimID: a.c.ID, Secret: d.ConsentURL, Data: d})
	if err != nil {
		return err
	}
	return a.tx.Exec(`UPDATE consent_links SET outbox_id = ? WHERE id = ?`, outboxID, linkID).Error
}

// mailReceipt confirms a customer's decision to the contact who made it.
func (a *applyCtx) mailReceipt(link consentLink, decision string) error {
	d := a.mailData()
	d.Decision, d.DecidedBy = decision, link.Email
	_, err := a.s.enqueue(a.tx, &Mail{Kind: "consent_receipt", To: link.Email, ToName: link.Name, Lang: link.Language, ClaimID: a.c.ID, Data: d})
	return err
}
