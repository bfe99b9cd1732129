package claims_test

import (
	"context"
	"io"
	"testing"
	"time"

	"cpor/models"
	"cpor/views"
	"cpor/views/claims"
)

// BenchmarkRenderList renders the claim list page with 50 rows, as the
// partner's list shows them.
func BenchmarkRenderList(b *testing.B) {
	ref := &models.RefData{Programs: []models.Program{{ID: 1, Name: "OSA Sell"}, {ID: 2, Name: "OSU – Microsoft 365"}, {ID: 3, Name: "OSU – Business Applications"}}}
	now := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	var rows []models.ListRow
	statuses := models.Statuses
	for i := 0; i < 50; i++ {
		rows = append(rows, models.ListRow{ID: int64(100000 + i), Name: "Contoso Customer — Microsoft 365 rollout", Domain: "contoso-customer.test",
			Status: statuses[i%len(statuses)], ProgramID: int64(1 + i%3), LocationID: 1, CreatedAt: models.At(now.Add(-time.Duration(i) * time.Hour)),
			UpdatedAt: models.At(now.Add(-time.Duration(i) * time.Minute)), NextDeadline: models.At(now.Add(72 * time.Hour)), Competing: i%7 == 0})
	}
	page := claims.ListPage{Rows: rows, Next: "1795600000000.100049", Ref: ref, Base: "/claims", Partner: true,
		Locations: map[int64]string{1: "1000001"}, LocOpts: []models.Location{{ID: 1, MPNID: "1000001"}, {ID: 2, MPNID: "1000002"}}}
	ctx := views.WithPage(context.Background(), &views.Page{Lang: "en", User: &models.Principal{User: models.User{Name: "Anna Admin", Role: models.RoleAdmin}}, Path: "/claims"})
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := claims.List(page).Render(ctx, io.Discard); err != nil {
			b.Fatal(err)
		}
	}
}
