package claims

import (
	"context"
	"html"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"cpor/models"
	"cpor/views"
)

// The expectations are what the rows' templ markup made before listRows
// replaced it.
func TestListRows(t *testing.T) {
	t.Cleanup(func() { views.SetZone(time.UTC) })
	bud, err := time.LoadLocation("Europe/Budapest")
	if err != nil {
		t.Fatal(err)
	}
	utc := func(y int, m time.Month, d, h, mi int) models.Time {
		return models.At(time.Date(y, m, d, h, mi, 0, 0, time.UTC))
	}
	p := func(rows ...models.ListRow) *ListPage {
		return &ListPage{Rows: rows, Base: "/claims",
			Ref:       &models.RefData{Programs: []models.Program{{ID: 1, Name: "OSA Sell"}, {ID: 3, Name: `<b>"P&P"</b>`}}},
			Locations: map[int64]string{1: "1000001", 2: `<loc"&'>`}}
	}
	cases := []struct {
		name string
		lang string
		zone *time.Location
		page *ListPage
		want string
	}{{
		"escaping, competing, reason, 24:00 deadline", "en", time.UTC,
		p(models.ListRow{ID: 42, Name: `<script>alert("x")&'</script>`, Domain: "a&b.test", Status: models.StatusRejected, Reason: models.ReasonInsufficientPoE,
			ProgramID: 3, LocationID: 2, UpdatedAt: utc(2026, 11, 25, 9, 7), NextDeadline: utc(2026, 12, 3, 0, 0), Competing: true}),
		`<tr>` +
			`<td data-label="Claim number"><a href="/claims/42">CA-000042</a></td>` +
			`<td data-label="Claim">&lt;script&gt;alert(&#34;x&#34;)&amp;&#39;&lt;/script&gt;<div class="small muted">a&amp;b.test</div></td>` +
			`<td data-label="Status"><span class="badge status-rejected" data-testid="status">Rejected — Insufficient proof of execution</span><span class="badge status-action_required">Competing</span> </td>` +
			`<td data-label="Program">&lt;b&gt;&#34;P&amp;P&#34;&lt;/b&gt;</td>` +
			`<td data-label="Location">&lt;loc&#34;&amp;&#39;&gt;</td>` +
			`<td data-label="Updated">25 Nov 2026, 09:07</td>` +
			`<td data-label="Next deadline">Wednesday 2 Dec 2026, 24:00 UTC</td>` +
			`</tr>`,
	}, {
		"requested draft, no deadline, unknown program and location, 7 digits", "en", time.UTC,
		p(models.ListRow{ID: 1234567, Name: "Árvíztűrő tükörfúrógép Kft.", Status: models.StatusEditing, Reason: "ignored", SubmissionRequestedAt: utc(2026, 1, 1, 0, 0),
			ProgramID: 9, LocationID: 9, UpdatedAt: utc(2026, 1, 2, 23, 59)}),
		`<tr>` +
			`<td data-label="Claim number"><a href="/claims/1234567">CA-1234567</a></td>` +
			`<td data-label="Claim">Árvíztűrő tükörfúrógép Kft.<div class="small muted"></div></td>` +
			`<td data-label="Status"><span class="badge status-editing" data-testid="status">Editing</span><span class="badge">Submission requested</span></td>` +
			`<td data-label="Program"></td>` +
			`<td data-label="Location"></td>` +
			`<td data-label="Updated">2 Jan 2026, 23:59</td>` +
			`<td data-label="Next deadline"></td>` +
			`</tr>`,
	}, {
		"requested only while editing; deadline not at midnight", "en", time.UTC,
		p(models.ListRow{ID: 7, Name: "Plain", Domain: "plain.test", Status: models.StatusEnded, Reason: models.ReasonCustomerEnded, SubmissionRequestedAt: utc(2026, 1, 1, 0, 0),
			ProgramID: 1, LocationID: 1, UpdatedAt: utc(2026, 5, 1, 0, 0), NextDeadline: utc(2026, 5, 5, 13, 30)}),
		`<tr>` +
			`<td data-label="Claim number"><a href="/claims/7">CA-000007</a></td>` +
			`<td data-label="Claim">Plain<div class="small muted">plain.test</div></td>` +
			`<td data-label="Status"><span class="badge status-ended" data-testid="status">Ended — Customer ended association</span></td>` +
			`<td data-label="Program">OSA Sell</td>` +
			`<td data-label="Location">1000001</td>` +
			`<td data-label="Updated">1 May 2026, 00:00</td>` +
			`<td data-label="Next deadline">Tuesday 5 May 2026, 13:30 UTC</td>` +
			`</tr>`,
	}, {
		"Hungarian, zone change on the deadline's day", "hu", bud,
		p(models.ListRow{ID: 100000, Name: `Kovács & Fiai "Bt."`, Domain: "kovacs.test", Status: models.StatusWithdrawn, Reason: models.ReasonPartnerRequest,
			ProgramID: 1, LocationID: 1, UpdatedAt: utc(2026, 3, 29, 1, 30), NextDeadline: models.At(time.Date(2026, 3, 30, 0, 0, 0, 0, bud))}),
		`<tr>` +
			`<td data-label="Igénylés száma"><a href="/claims/100000">CA-100000</a></td>` +
			`<td data-label="Igénylés">Kovács &amp; Fiai &#34;Bt.&#34;<div class="small muted">kovacs.test</div></td>` +
			`<td data-label="Állapot"><span class="badge status-withdrawn" data-testid="status">Visszavonva — Partner kérésére</span></td>` +
			`<td data-label="Ösztönzőprogram">OSA Sell</td>` +
			`<td data-label="Telephely">1000001</td>` +
			`<td data-label="Módosítva">2026. márc. 29. 03:30</td>` +
			`<td data-label="Következő határidő">2026. márc. 29. (vasárnap) 24:00 CEST</td>` +
			`</tr>`,
	}, {
		"Hungarian, competing requested draft", "hu", bud,
		p(models.ListRow{ID: 5, Name: "Ügyfél", Domain: "ugyfel.test", Status: models.StatusEditing, SubmissionRequestedAt: utc(2026, 1, 1, 0, 0), Competing: true,
			ProgramID: 3, LocationID: 2, UpdatedAt: utc(2026, 10, 25, 0, 30), NextDeadline: models.At(time.Date(2026, 10, 26, 15, 0, 0, 0, bud))}),
		`<tr>` +
			`<td data-label="Igénylés száma"><a href="/claims/5">CA-000005</a></td>` +
			`<td data-label="Igénylés">Ügyfél<div class="small muted">ugyfel.test</div></td>` +
			`<td data-label="Állapot"><span class="badge status-editing" data-testid="status">Szerkesztés alatt</span><span class="badge status-action_required">Versengő</span> <span class="badge">Beküldést kértek</span></td>` +
			`<td data-label="Ösztönzőprogram">&lt;b&gt;&#34;P&amp;P&#34;&lt;/b&gt;</td>` +
			`<td data-label="Telephely">&lt;loc&#34;&amp;&#39;&gt;</td>` +
			`<td data-label="Módosítva">2026. okt. 25. 02:30</td>` +
			`<td data-label="Következő határidő">2026. okt. 26. 15:00 (hétfő) CET</td>` +
			`</tr>`,
	}}
	for _, c := range cases {
		views.SetZone(c.zone)
		ctx := views.WithPage(context.Background(), &views.Page{Lang: c.lang})
		var sb strings.Builder
		if err := listRows(c.page).Render(ctx, &sb); err != nil {
			t.Fatal(err)
		}
		if got := sb.String(); got != c.want {
			t.Errorf("%s:\n got %s\nwant %s", c.name, got, c.want)
		}
	}
}

// A row's status badge is statusBadge's, for every status and reason, also
// when statuses repeat on the page.
func TestListRowsStatusBadge(t *testing.T) {
	ctx := views.WithPage(context.Background(), &views.Page{Lang: "en"})
	var rows []models.ListRow
	var want []string
	for range 2 {
		for _, s := range slices.Concat(models.Statuses, []models.Status{"unknown"}) {
			for _, reason := range []string{"", models.ReasonInsufficientPoE, models.ReasonPartnerRequest, `<x>&"`} {
				rows = append(rows, models.ListRow{Status: s, Reason: reason})
				var sb strings.Builder
				if err := statusBadge(s, reason).Render(ctx, &sb); err != nil {
					t.Fatal(err)
				}
				want = append(want, `<td data-label="Status">`+sb.String()+`</td>`)
			}
		}
	}
	var sb strings.Builder
	if err := listRows(&ListPage{Rows: rows, Ref: &models.RefData{}}).Render(ctx, &sb); err != nil {
		t.Fatal(err)
	}
	got := strings.Split(strings.TrimPrefix(sb.String(), "<tr>"), "<tr>")
	if len(got) != len(rows) {
		t.Fatalf("%d rows, want %d", len(got), len(rows))
	}
	for i, row := range got {
		if !strings.Contains(row, want[i]) {
			t.Errorf("row %d (%s, %q): %s\nwant the cell %s", i, rows[i].Status, rows[i].Reason, row, want[i])
		}
	}
}

func TestAppendClaimNumber(t *testing.T) {
	for _, id := range []int64{0, 1, 42, 99999, 999999, 1000000, 1234567, math.MaxInt64, -1, -42, math.MinInt64} {
		if got, want := string(appendClaimNumber([]byte("x"), id)), "x"+models.ClaimNumber(id); got != want {
			t.Errorf("appendClaimNumber(%d) = %q, want %q", id, got, want)
		}
	}
}

func TestAppendEscaped(t *testing.T) {
	for _, s := range []string{"", "plain", `<script>alert("x")&'</script>`, "&amp;", "Árvíztűrő ő ű –", "\xff<\x00>", `"`, "a'b'c"} {
		if got, want := string(appendEscaped([]byte("x"), s)), "x"+html.EscapeString(s); got != want {
			t.Errorf("appendEscaped(%q) = %q, want %q", s, got, want)
		}
	}
}
