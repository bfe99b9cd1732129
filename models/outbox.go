package models

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
)

// Mail is an email to queue. Data carries the kind's facts for the composer.
type Mail struct {
	Kind    string
	To      string
	ToName  string
	Lang    string
	ClaimID int64
	// Secret is a personal link inside the message. The stored copy keeps it
	// only until delivery, then it is blanked.
	Secret string
	Data   any
}

// Composer renders a Mail's subject and its plain-text and HTML bodies in
// the mail's language. The views package implements it with templ.
type Composer interface {
	Compose(m *Mail) (subject, text, html string, err error)
}

// IsCustomerMail reports whether a kind of email goes to a customer's
// contact (consent requests, new links, decision receipts).
func IsCustomerMail(kind string) bool { return strings.HasPrefix(kind, "consent_") }

// IsConsentRequest reports whether an email carries a customer's personal
// link to decide (the partner sees each one's delivery on the claim).
func IsConsentRequest(kind string) bool { return IsCustomerMail(kind) && kind != "consent_receipt" }

// Outbox message states.
const (
	MailQueued   = "queued"
	MailRetrying = "retrying"
	MailSent     = "sent"
	MailFailed   = "failed"
)

// OutboxMessage is a stored email.
type OutboxMessage struct {
	ID       int64
	Kind     string
	ToEmail  string
	ToName   string
	Language string
	Subject  string
	TextBody string
	HTMLBody string `gorm:"column:html_body"`
	// Data is the facts of a message not yet rendered (JSON), Secret the
	// personal link inside it; both are emptied once it is delivered.
	Data          string
	Secret        string
	ClaimID       int64
	State         string
	Attempts      int
	NextAttemptAt Time
	LastError     string
	CreatedAt     Time
	SentAt        Time
}

// enqueue stores m in the outbox inside the caller's transaction, so the
// message exists exactly when the change that caused it does. It returns the
// message's ID. What is stored is the facts (m.Data as JSON), not the
// rendered message: rendering two parts inside the writer's transaction cost
// a fifth of a submission and most of a deadline's outcome, while delivery
// renders each message once, outside any transaction (render).
func (s *Store) enqueue(tx *gorm.DB, m *Mail) (int64, error) {
	data, err := json.Marshal(m.Data)
	if err != nil {
		return 0, fmt.Errorf("%s mail data: %w", m.Kind, err)
	}
	now := Ms(s.Now())
	return insertID(tx, `INSERT INTO outbox (kind, to_email, to_name, language, subject, text_body, html_body, data, secret, claim_id,
		state, next_attempt_at, created_at) VALUES (?, ?, ?, ?, '', '', '', ?, ?, ?, 'queued', ?, ?)`,
		m.Kind, m.To, m.ToName, m.Lang, string(data), m.Secret, nullID(m.ClaimID), now, now)
}

// render fills in the subject and bodies of a message stored as facts (not
// yet delivered), in its language. A message already rendered is left as it is.
func (s *Store) render(m *OutboxMessage) error {
	if m.Data == "" {
		return nil
	}
	if s.compose == nil {
		return fmt.Errorf("no mail composer configured")
	}
	data, err := decodeMailData(m.Kind, m.Data)
	if err != nil {
		return fmt.Errorf("%s mail %d data: %w", m.Kind, m.ID, err)
	}
	subject, text, html, err := s.compose.Compose(&Mail{Kind: m.Kind, To: m.ToEmail, ToName: m.ToName, Lang: m.Language, ClaimID: m.ClaimID, Data: data})
	if err != nil {
		return fmt.Errorf("compose %s mail %d: %w", m.Kind, m.ID, err)
	}
	m.Subject, m.TextBody, m.HTMLBody = subject, text, html
	return nil
}

// decodeMailData turns stored facts back into the type the kind's composer
// expects: account emails carry AccountMail, every other kind ClaimMail.
func decodeMailData(kind, data string) (any, error) {
	if kind == MailPasswordReset || kind == MailInvitation {
		var d AccountMail
		err := json.Unmarshal([]byte(data), &d)
		return d, err
	}
	var d ClaimMail
	err := json.Unmarshal([]byte(data), &d)
	return d, err
}

// renderSubjects fills in the subjects of listed messages not yet rendered.
func (s *Store) renderSubjects(ms []OutboxMessage) {
	for i := range ms {
		if err := s.render(&ms[i]); err != nil {
			ms[i].Subject = ms[i].Kind // still listed, and the delivery will report the error
		}
		ms[i].TextBody, ms[i].HTMLBody, ms[i].Data = "", "", ""
	}
}

// MailFilter selects rows of the mail log.
type MailFilter struct {
	State  string
	Search string // part of the recipient's address
	Before int64  // keyset: ID below which to list
	Limit  int
}

const mailLogColumns = `id, kind, to_email, to_name, language, subject, data, claim_id, state, attempts, next_attempt_at, last_error, created_at, sent_at`

// MailLog lists outbox messages, newest first, without their bodies.
func (s *Store) MailLog(ctx context.Context, f MailFilter) ([]OutboxMessage, error) {
	if f.Limit <= 0 || f.Limit > 200 {
		f.Limit = 50
	}
	q := s.r(ctx).Table("outbox").Select(mailLogColumns)
	if f.State != "" {
		q = q.Where("state = ?", f.State)
	}
	if f.Search != "" {
		q = q.Where("to_email LIKE ? ESCAPE '\\'", "%"+escapeLike(f.Search)+"%")
	}
	if f.Before > 0 {
		q = q.Where("id < ?", f.Before)
	}
	var out []OutboxMessage
	if err := q.Order("id DESC").Limit(f.Limit).Scan(&out).Error; err != nil {
		return nil, err
	}
	s.renderSubjects(out)
	return out, nil
}

// ResendMail puts a failed message back in the queue.
func (s *Store) ResendMail(ctx context.Context, a Actor, id int64) error {
	return s.tx(ctx, func(tx *gorm.DB) error {
		res := tx.Exec(`UPDATE outbox SET state = 'queued', attempts = 0, next_attempt_at = ?, last_error = '' WHERE id = ? AND state = 'failed'`,
			Ms(s.Now()), id)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return ErrConflict
		}
		return s.audit(tx, a, "mail.resend", fmt.Sprintf("mail:%d", id), "")
	})
}

func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// dueMail returns up to n messages whose next attempt is due.
func (s *Store) dueMail(ctx context.Context, now time.Time, n int) ([]OutboxMessage, error) {
	var out []OutboxMessage
	err := s.r(ctx).Raw(`SELECT `+mailLogColumns+`, text_body, html_body, secret FROM outbox
		WHERE state IN ('queued','retrying') AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?`, Ms(now), n).Scan(&out).Error
	return out, err
}

// hideSecret replaces the message's personal link in its bodies.
func (m *OutboxMessage) hideSecret(with string) {
	if m.Secret != "" {
		m.TextBody, m.HTMLBody = strings.ReplaceAll(m.TextBody, m.Secret, with), strings.ReplaceAll(m.HTMLBody, m.Secret, with)
	}
}

// markSent records a delivery and keeps the message as it was sent, less the
// personal link.
func (s *Store) markSent(ctx context.Context, m *OutboxMessage) error {
	m.hideSecret("[link removed after delivery]")
	return s.w(ctx).Exec(`UPDATE outbox SET state = 'sent', attempts = attempts + 1, sent_at = ?, last_error = '',
		subject = ?, text_body = ?, html_body = ?, data = '', secret = '' WHERE id = ?`, Ms(s.Now()), m.Subject, m.TextBody, m.HTMLBody, m.ID).Error
}

// markFailedAttempt records a failed attempt: retrying with backoff, or
// failed for good once the attempts are used up. A message rendered for the
// attempt keeps its rendering (and no longer needs its facts), so a failed
// one can be read in the mail log; one that could not be rendered keeps its facts.
func (s *Store) markFailedAttempt(ctx context.Context, m OutboxMessage, cause error, maxAttempts int, base time.Duration) error {
	attempts := m.Attempts + 1
	state := MailRetrying
	if attempts >= maxAttempts {
		state = MailFailed
	}
	next := s.Now().Add(base << (attempts - 1))
	msg := cause.Error()
	if len(msg) > 500 {
		msg = msg[:500]
	}
	return s.w(ctx).Exec(`UPDATE outbox SET state = ?, attempts = ?, next_attempt_at = ?, last_error = ?,
		subject = ?, text_body = ?, html_body = ?, data = CASE WHEN ? = '' THEN data ELSE '' END WHERE id = ?`,
		state, attempts, Ms(next), msg, m.Subject, m.TextBody, m.HTMLBody, m.Subject, m.ID).Error
}
