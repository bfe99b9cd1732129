// Package emails renders outbox messages: one Content per kind, built from
// the catalogue in the recipient's language, rendered as an HTML part (templ)
// and a plain-text part.
package emails

import (
	"bytes"
	"context"
	"fmt"
	"strings"

	"cpor/models"
	"cpor/views"
)

// Fact is one labelled value in an email.
type Fact struct {
	Label string
	Value string
}

// Action is the one button of an email.
type Action struct {
	Label string
	URL   string
}

// Content is what an email says, independent of its markup.
type Content struct {
	Subject  string
	Greeting string
	Intro    []string
	Facts    []Fact
	Action   *Action
	After    []string
	Reason   string // footer: why the person got this email
}

// Composer implements models.Composer.
type Composer struct{}

// Compose renders m in its language.
func (Composer) Compose(m *models.Mail) (subject, text, html string, err error) {
	ctx := views.WithPage(context.Background(), &views.Page{Lang: m.Lang, Email: true})
	build, ok := builders[m.Kind]
	if !ok {
		return "", "", "", fmt.Errorf("unknown mail kind %q", m.Kind)
	}
	c, err := build(ctx, m)
	if err != nil {
		return "", "", "", err
	}
	var buf bytes.Buffer
	if err := Layout(c).Render(ctx, &buf); err != nil {
		return "", "", "", err
	}
	return c.Subject, plainText(ctx, c), buf.String(), nil
}

// plainText lays out the same content for the text/plain part.
func plainText(ctx context.Context, c Content) string {
	var b strings.Builder
	if c.Greeting != "" {
		b.WriteString(c.Greeting + "\n\n")
	}
	for _, p := range c.Intro {
		b.WriteString(p + "\n\n")
	}
	for _, f := range c.Facts {
		b.WriteString(f.Label + ": " + f.Value + "\n")
	}
	if len(c.Facts) > 0 {
		b.WriteString("\n")
	}
	if c.Action != nil {
		b.WriteString(c.Action.Label + ":\n" + c.Action.URL + "\n\n")
	}
	for _, p := range c.After {
		b.WriteString(p + "\n\n")
	}
	b.WriteString("-- \nCPOR Claims\n" + c.Reason + "\n")
	return b.String()
}

type builder func(ctx context.Context, m *models.Mail) (Content, error)

// builders maps each mail kind to the function that writes its content.
var builders = map[string]builder{
	"password_reset":             passwordReset,
	"invitation":                 invitation,
	"claim_submission_requested": partnerClaim,
	"claim_submitted":            partnerClaim,
	"claim_info_requested":       partnerClaim,
	"claim_info_reminder":        partnerClaim,
	"claim_resubmitted":          partnerClaim,
	"claim_approved":             partnerClaim,
	"claim_customer_accepted":    partnerClaim,
	"claim_customer_opted_out":   partnerClaim,
	"claim_official":             partnerClaim,
	"claim_rejected":             partnerClaim,
	"claim_dispute_reopened":     partnerClaim,
	"claim_dispute_upheld":       partnerClaim,
	"claim_dispute_reminder":     partnerClaim,
	"claim_withdrawn":            partnerClaim,
	"claim_ended":                partnerClaim,
	"claim_superseded":           partnerClaim,
	"consent_request":            consentRequest,
	"consent_new_link":           consentRequest,
	"consent_receipt":            consentReceipt,
}

func t(ctx context.Context, id string) string             { return views.T(ctx, id) }
func tf(ctx context.Context, id string, kv ...any) string { return views.Tf(ctx, id, kv...) }

func greeting(ctx context.Context, name string) string {
	if name == "" {
		return t(ctx, "mail.hello")
	}
	return tf(ctx, "mail.hello_name", "Name", name)
}

func passwordReset(ctx context.Context, m *models.Mail) (Content, error) {
	d, ok := m.Data.(models.AccountMail)
	if !ok {
		return Content{}, fmt.Errorf("password_reset: data is %T", m.Data)
	}
	return Content{
		Subject:  t(ctx, "mail.reset.subject"),
		Greeting: greeting(ctx, d.Name),
		Intro:    []string{t(ctx, "mail.reset.intro")},
		Action:   &Action{Label: t(ctx, "mail.reset.action"), URL: d.Link},
		After:    []string{tf(ctx, "mail.reset.expiry", "Time", views.DateTime(ctx, d.ExpiresAt)), t(ctx, "mail.reset.ignore")},
		Reason:   t(ctx, "mail.reset.reason"),
	}, nil
}

func invitation(ctx context.Context, m *models.Mail) (Content, error) {
	d, ok := m.Data.(models.AccountMail)
	if !ok {
		return Content{}, fmt.Errorf("invitation: data is %T", m.Data)
	}
	intro := tf(ctx, "mail.invite.intro", "Inviter", d.Inviter, "Role", t(ctx, "role."+string(d.Role)))
	if d.OrgName != "" {
		intro = tf(ctx, "mail.invite.intro_org", "Inviter", d.Inviter, "Org", d.OrgName, "Role", t(ctx, "role."+string(d.Role)))
	}
	if d.Inviter == "" {
		intro = tf(ctx, "mail.invite.intro_system", "Role", t(ctx, "role."+string(d.Role)))
	}
	return Content{
		Subject:  t(ctx, "mail.invite.subject"),
		Greeting: greeting(ctx, d.Name),
		Intro:    []string{intro},
		Action:   &Action{Label: t(ctx, "mail.invite.action"), URL: d.Link},
		After:    []string{tf(ctx, "mail.invite.expiry", "Time", views.DateTime(ctx, d.ExpiresAt))},
		Reason:   t(ctx, "mail.invite.reason"),
	}, nil
}
