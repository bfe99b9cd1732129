package claims

import (
	"context"
	"html"
	"io"
	"strconv"

	"github.com/a-h/templ"

	"cpor/models"
	"cpor/views"
)

// The claim list's rows are written by hand rather than as templ markup: the
// list is the busiest page, and templ's escaping and attribute resolving of
// every expression, with a string for each cell, made ~1,900 allocations for
// 50 rows. The markup is the same as templ's was, byte for byte
// (list_rows_test.go); a change to a row's markup is made here.

// labels of the list's columns, translated and escaped once per page.
type labels struct {
	number, claim, status, program, location, updated, deadline, competing, requested string
}

func listLabels(ctx context.Context) labels {
	t := func(id string) string { return html.EscapeString(views.T(ctx, id)) }
	return labels{
		number: t("claim.number"), claim: t("list.claim"), status: t("claim.status"),
		program: t("field.program"), location: t("list.location"), updated: t("list.updated"),
		deadline: t("list.deadline"), competing: t("claim.competing_badge"), requested: t("list.requested_badge"),
	}
}

// listRows writes the <tr> of each row, one row at a time through one buffer.
func listRows(p *ListPage) templ.Component {
	return templ.ComponentFunc(func(ctx context.Context, w io.Writer) error {
		rw := rowWriter{p: p, lang: views.PageOf(ctx).Lang, lb: listLabels(ctx), base: html.EscapeString(p.Base),
			statuses: make([]statusText, 0, 16)}
		buf := make([]byte, 0, 2048)
		for i := range p.Rows {
			buf = rw.appendRow(ctx, buf[:0], &p.Rows[i])
			if _, err := w.Write(buf); err != nil {
				return err
			}
		}
		return nil
	})
}

type rowWriter struct {
	p        *ListPage
	lang     string
	lb       labels
	base     string       // p.Base, escaped
	statuses []statusText // few distinct statuses and reasons a page
}

type statusText struct {
	status models.Status
	reason string
	text   string // escaped
}

func (rw *rowWriter) appendRow(ctx context.Context, b []byte, r *models.ListRow) []byte {
	lb := &rw.lb
	b = append(b, `<tr><td data-label="`...)
	b = append(b, lb.number...)
	b = append(b, `"><a href="`...)
	b = append(b, rw.base...)
	b = append(b, '/')
	b = strconv.AppendInt(b, r.ID, 10)
	b = append(b, `">`...)
	b = appendClaimNumber(b, r.ID)
	b = append(b, `</a></td><td data-label="`...)
	b = append(b, lb.claim...)
	b = append(b, `">`...)
	b = appendEscaped(b, r.Name)
	b = append(b, `<div class="small muted">`...)
	b = appendEscaped(b, r.Domain)
	b = append(b, `</div></td><td data-label="`...)
	b = append(b, lb.status...)
	b = append(b, `">`...)
	// statusBadge's markup (list_rows_test.go compares them).
	b = append(b, `<span class="badge status-`...)
	b = append(b, r.Status...)
	b = append(b, `" data-testid="status">`...)
	b = append(b, rw.statusText(ctx, r.Status, r.Reason)...)
	b = append(b, `</span>`...)
	if r.Competing {
		b = append(b, `<span class="badge status-action_required">`...)
		b = append(b, lb.competing...)
		b = append(b, `</span> `...)
	}
	if r.Status == models.StatusEditing && !r.SubmissionRequestedAt.IsZero() {
		b = append(b, `<span class="badge">`...)
		b = append(b, lb.requested...)
		b = append(b, `</span>`...)
	}
	b = append(b, `</td><td data-label="`...)
	b = append(b, lb.program...)
	b = append(b, `">`...)
	b = appendEscaped(b, rw.p.programName(r.ProgramID))
	b = append(b, `</td><td data-label="`...)
	b = append(b, lb.location...)
	b = append(b, `">`...)
	b = appendEscaped(b, rw.p.Locations[r.LocationID])
	b = append(b, `</td><td data-label="`...)
	b = append(b, lb.updated...)
	b = append(b, `">`...)
	// Dates need no escaping: digits, month and day names, zone abbreviations.
	b = views.AppendDateTime(b, rw.lang, r.UpdatedAt)
	b = append(b, `</td><td data-label="`...)
	b = append(b, lb.deadline...)
	b = append(b, `">`...)
	b = views.AppendDeadline(b, rw.lang, r.NextDeadline)
	return append(b, `</td></tr>`...)
}

// statusText is views.StatusText, escaped, looked up once per status and
// reason on a page.
func (rw *rowWriter) statusText(ctx context.Context, s models.Status, reason string) string {
	for _, c := range rw.statuses {
		if c.status == s && c.reason == reason {
			return c.text
		}
	}
	t := html.EscapeString(views.StatusText(ctx, s, reason))
	rw.statuses = append(rw.statuses, statusText{s, reason, t})
	return t
}

// appendClaimNumber appends models.ClaimNumber(id) without fmt.
func appendClaimNumber(b []byte, id int64) []byte {
	if id < 0 {
		return append(b, models.ClaimNumber(id)...)
	}
	var d [20]byte
	digits := strconv.AppendInt(d[:0], id, 10)
	b = append(b, "CA-"...)
	for i := len(digits); i < 6; i++ {
		b = append(b, '0')
	}
	return append(b, digits...)
}

// htmlEscapes are html.EscapeString's replacements, by byte.
var htmlEscapes = [256]string{'&': "&amp;", '\'': "&#39;", '<': "&lt;", '>': "&gt;", '"': "&#34;"}

// appendEscaped appends s escaped as html.EscapeString, and so templ, does.
func appendEscaped(b []byte, s string) []byte {
	last := 0
	for i := 0; i < len(s); i++ {
		if e := htmlEscapes[s[i]]; e != "" {
			b = append(b, s[last:i]...)
			b = append(b, e...)
			last = i + 1
		}
	}
	return append(b, s[last:]...)
}
