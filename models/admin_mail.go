package models

import "context"

// MailMessage returns one outbox message for an operator to read. Personal
// links (a customer's decision link, a password link) are hidden whether or
// not the message was delivered: after delivery they are already blanked,
// before it they still work and must not leave the recipient's mailbox.
func (s *Store) MailMessage(ctx context.Context, id int64) (*OutboxMessage, error) {
	var m OutboxMessage
	if err := s.r(ctx).Raw(`SELECT `+mailLogColumns+`, text_body, secret FROM outbox WHERE id = ?`, id).Scan(&m).Error; err != nil {
		return nil, err
	}
	if m.ID == 0 {
		return nil, ErrNotFound
	}
	if err := s.render(&m); err != nil {
		return nil, err
	}
	m.hideSecret("[link hidden]")
	m.HTMLBody, m.Data, m.Secret = "", "", ""
	return &m, nil
}
