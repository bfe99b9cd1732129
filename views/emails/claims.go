package emails

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"cpor/models"
	"cpor/views"
)

func claimData(m *models.Mail) (models.ClaimMail, error) {
	d, ok := m.Data.(models.ClaimMail)
	if !ok {
		return d, fmt.Errorf("%s: data is %T", m.Kind, m.Data)
	}
	return d, nil
}

// claimFacts are the facts every claim email repeats.
func claimFacts(ctx context.Context, d models.ClaimMail, partner bool) []Fact {
	f := []Fact{}
	if partner {
		f = append(f, Fact{t(ctx, "mail.fact.claim"), d.Number + " — " + d.Name})
	} else {
		f = append(f, Fact{t(ctx, "mail.fact.partner"), d.OrgName}, Fact{t(ctx, "mail.fact.mpn"), d.MPNID})
	}
	f = append(f,
		Fact{t(ctx, "mail.fact.tenant"), d.TenantName + " (" + d.TenantID + ")"},
		Fact{t(ctx, "mail.fact.domain"), d.Domain},
		Fact{t(ctx, "mail.fact.program"), d.ProgramName},
		Fact{t(ctx, "mail.fact.activity"), d.ActivityName},
		Fact{t(ctx, "mail.fact.lines"), strings.Join(d.Lines, ", ")},
	)
	if partner {
		f = append(f, Fact{t(ctx, "mail.fact.status"), views.StatusText(ctx, d.Status, d.Reason)})
	}
	return f
}

func partnerClaim(ctx context.Context, m *models.Mail) (Content, error) {
	d, err := claimData(m)
	if err != nil {
		return Content{}, err
	}
	key := "mail.claim." + strings.TrimPrefix(m.Kind, "claim_")
	fields := []any{"Number", d.Number, "Name", d.Name, "Org", d.OrgName, "Deadline", views.Deadline(ctx, d.Deadline),
		"Decision", d.DecidedBy}
	c := Content{
		Subject:  tf(ctx, key+".subject", fields...),
		Greeting: greeting(ctx, m.ToName),
		Intro:    []string{tf(ctx, key+".intro", fields...)},
		Facts:    claimFacts(ctx, d, true),
		Action:   &Action{Label: t(ctx, "mail.claim.open"), URL: d.ClaimURL},
		Reason:   t(ctx, "mail.claim.reason"),
	}
	if m.Kind == "claim_submission_requested" {
		c.Reason = tf(ctx, "mail.claim.reason_admin", "Org", d.OrgName)
	}
	switch m.Kind {
	case "claim_info_requested", "claim_info_reminder":
		var rs []string
		for _, r := range d.Reasons {
			rs = append(rs, views.ReasonText(ctx, r))
		}
		c.Facts = append(c.Facts, Fact{t(ctx, "mail.fact.info_reasons"), strings.Join(rs, "; ")})
		c.After = append(c.After, tf(ctx, "mail.claim.info_deadline", fields...))
	case "claim_rejected":
		if !d.Deadline.IsZero() {
			c.After = append(c.After, tf(ctx, "mail.claim.how_to_dispute", fields...))
		}
	case "claim_approved":
		c.After = append(c.After, tf(ctx, "mail.claim.consent_deadline", fields...))
	}
	if d.Note != "" && (m.Kind == "claim_info_requested" || m.Kind == "claim_rejected" || m.Kind == "claim_dispute_upheld" || m.Kind == "claim_info_reminder") {
		c.Facts = append(c.Facts, Fact{t(ctx, "mail.fact.note"), d.Note})
	}
	return c, nil
}

func consentRequest(ctx context.Context, m *models.Mail) (Content, error) {
	d, err := claimData(m)
	if err != nil {
		return Content{}, err
	}
	host := d.ConsentURL
	if u, err := url.Parse(d.ConsentURL); err == nil {
		host = u.Scheme + "://" + u.Host
	}
	fields := []any{"Org", d.OrgName, "MPN", d.MPNID, "Tenant", d.TenantName, "Domain", d.Domain,
		"Deadline", views.Deadline(ctx, d.Deadline), "Host", host, "Number", d.Number}
	intro := []string{tf(ctx, "mail.consent.intro", fields...)}
	if m.Kind == "consent_new_link" {
		intro = append([]string{t(ctx, "mail.consent.new_link")}, intro...)
	}
	after := []string{t(ctx, "mail.consent.what_partner_sees")}
	if d.Status == models.StatusConsent {
		after = append(after, tf(ctx, "mail.consent.deadline", fields...))
	}
	after = append(after, tf(ctx, "mail.consent.genuine", fields...))
	return Content{
		Subject:  tf(ctx, "mail.consent.subject", fields...),
		Greeting: greeting(ctx, m.ToName),
		Intro:    intro,
		Facts:    claimFacts(ctx, d, false),
		Action:   &Action{Label: t(ctx, "mail.consent.action"), URL: d.ConsentURL},
		After:    after,
		Reason:   t(ctx, "mail.consent.reason"),
	}, nil
}

func consentReceipt(ctx context.Context, m *models.Mail) (Content, error) {
	d, err := claimData(m)
	if err != nil {
		return Content{}, err
	}
	fields := []any{"Org", d.OrgName, "Number", d.Number}
	key := "mail.receipt." + d.Decision
	return Content{
		Subject:  tf(ctx, key+".subject", fields...),
		Greeting: greeting(ctx, m.ToName),
		Intro:    []string{tf(ctx, key+".intro", fields...)},
		Facts:    claimFacts(ctx, d, false),
		Reason:   t(ctx, "mail.receipt.reason"),
	}, nil
}
