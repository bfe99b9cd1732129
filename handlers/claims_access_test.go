package handlers_test

import (
	"context"
	"crypto/sha256"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"cpor/handlers/handlertest"
	"cpor/models"
)

// The claims, review, customer-link and operator-claim routes in the access
// matrix (handlers/access_test.go). The setup creates, through the models
// API, the claims the rows name:
//
//	1  Contoso, 1000001, Exchange Online    Submitted (file 1)
//	2  Contoso, 1000001, Microsoft Teams     Editing, created by the user (file 2)
//	3  Contoso, 1000002, a subscription      Editing, created by the admin — outside the user's scope (file 3)
//	4  Contoso, 1000001, SharePoint Online   Approved: consent period — its customer opts out
//	5  Contoso, 1000001, OneDrive            Approved: consent period — its customer accepts
//	6  Contoso, 1000001, Yammer              Official — its customer ends it
//	7  Contoso, 1000001, Microsoft Intune    Under review
//
// Rows with a POST are written so that every role's request leaves the
// claim as the next role finds it (refused, "Already done", or the same
// decision repeated).
const (
	cxSubmitted = "1"
	cxDraft     = "2"
	cxOutside   = "3"
	cxOptOut    = "4"
	cxAccept    = "5"
	cxEnd       = "6"
	cxReview    = "7"
	// Customer link tokens the setup gives claims 4–6 (for it-admin@contoso-customer.test).
	cxTokOptOut = "matrix-token-opt-out-0000000000000000000000000"
	cxTokAccept = "matrix-token-accept-00000000000000000000000000"
	cxTokEnd    = "matrix-token-end-00000000000000000000000000000"
)

func init() {
	addAccessSetup(claimsMatrixSetup)
	anyone := func(method, path, route string, w want) accessRow {
		return anyoneRow(method, path, w).withRoute(route)
	}
	partner := func(method, path, route string, admin, user want) accessRow {
		return accessRow{Method: method, Path: path, Route: route, Anon: toLogin, Admin: admin, User: user,
			Reviewer: forbidden, Operator: forbidden}
	}
	seeOther := func(loc string) want { return redirectTo(loc) }
	conflict := want{Status: http.StatusConflict}
	badRequest := want{Status: http.StatusBadRequest}
	addAccessRows(
		// The partner's claims.
		partnerRow(http.MethodGet, "/claims", ok),
		partnerRow(http.MethodGet, "/claims/export.csv", ok),
		partnerRow(http.MethodGet, "/claims/new", ok),
		partnerRow(http.MethodGet, "/claims/new?program=2", ok),
		partnerRow(http.MethodPost, "/claims", invalid).withForm(url.Values{"program": {"2"}, "name": {""}}),
		partner(http.MethodGet, "/claims/"+cxSubmitted, "/claims/:id", ok, ok),
		partner(http.MethodGet, "/claims/"+cxOutside, "/claims/:id", ok, notFound),
		partner(http.MethodGet, "/claims/999", "/claims/:id", notFound, notFound),
		partner(http.MethodGet, "/claims/"+cxDraft+"/edit", "/claims/:id/edit", ok, ok),
		// After submission only the admin edits.
		partner(http.MethodGet, "/claims/"+cxSubmitted+"/edit", "/claims/:id/edit", ok, forbidden),
		partner(http.MethodGet, "/claims/"+cxOutside+"/edit", "/claims/:id/edit", ok, notFound),
		// A stale version is the 409 page.
		partner(http.MethodPost, "/claims/"+cxDraft, "/claims/:id", conflict, conflict).
			withForm(url.Values{"version": {"0"}, "op": {"save"}, "name": {"Changed"}}),
		partner(http.MethodGet, "/claims/"+cxDraft+"/confirm/delete", "/claims/:id/confirm/:action", ok, ok),
		partner(http.MethodGet, "/claims/"+cxSubmitted+"/confirm/withdraw", "/claims/:id/confirm/:action", ok, forbidden),
		partner(http.MethodGet, "/claims/"+cxSubmitted+"/confirm/delete", "/claims/:id/confirm/:action", conflict, conflict),
		partner(http.MethodGet, "/claims/"+cxSubmitted+"/confirm/nonsense", "/claims/:id/confirm/:action", notFound, notFound),
		// Submit again with the version of the draft: "Already done" for the
		// admin, who may submit; never for the user, who may not.
		partner(http.MethodPost, "/claims/"+cxSubmitted+"/actions/submit", "/claims/:id/actions/:action",
			seeOther("/claims/"+cxSubmitted), forbidden).withForm(url.Values{"version": {"1"}}),
		partner(http.MethodPost, "/claims/"+cxSubmitted+"/actions/approve", "/claims/:id/actions/:action", notFound, notFound).
			withForm(url.Values{"version": {"1"}}),
		// A version the admin never saw: a conflict, not a withdrawal.
		partner(http.MethodPost, "/claims/"+cxOutside+"/actions/withdraw", "/claims/:id/actions/:action", conflict, notFound).
			withForm(url.Values{"version": {"99"}}),
		partner(http.MethodPost, "/claims/"+cxSubmitted+"/comments", "/claims/:id/comments", invalid, invalid).
			withForm(url.Values{"comment": {"   "}}),
		partner(http.MethodGet, "/claims/"+cxSubmitted+"/files/1", "/claims/:id/files/:file", ok, ok),
		partner(http.MethodGet, "/claims/"+cxSubmitted+"/files/2", "/claims/:id/files/:file", notFound, notFound),
		partner(http.MethodGet, "/claims/"+cxOutside+"/files/3", "/claims/:id/files/:file", ok, notFound),
		partner(http.MethodGet, "/claims/"+cxSubmitted+"/poe-template", "/claims/:id/poe-template", ok, ok),
		partner(http.MethodGet, "/claims/"+cxOutside+"/poe-template", "/claims/:id/poe-template", ok, notFound),
		// Uploads and disputes are multipart forms: a plain form is a bad request.
		partner(http.MethodPost, "/claims/"+cxSubmitted+"/files", "/claims/:id/files", badRequest, badRequest),
		partner(http.MethodPost, "/claims/"+cxSubmitted+"/dispute", "/claims/:id/dispute", badRequest, badRequest),

		// The program's review pages: reviewers see claims from Submitted on.
		reviewerRow(http.MethodGet, "/review/claims/"+cxSubmitted, ok).withRoute("/review/claims/:id"),
		reviewerRow(http.MethodGet, "/review/claims/"+cxDraft, notFound).withRoute("/review/claims/:id"),
		reviewerRow(http.MethodPost, "/review/claims/"+cxReview+"/actions/start_review", seeOther("/review/claims/"+cxReview)).
			withRoute("/review/claims/:id/actions/:action").withForm(url.Values{"version": {"1"}}),
		reviewerRow(http.MethodPost, "/review/claims/"+cxReview+"/actions/withdraw", notFound).
			withRoute("/review/claims/:id/actions/:action").withForm(url.Values{"version": {"1"}}),
		reviewerRow(http.MethodPost, "/review/claims/"+cxReview+"/comments", invalid).
			withRoute("/review/claims/:id/comments").withForm(url.Values{"comment": {""}}),
		reviewerRow(http.MethodGet, "/review/claims/"+cxSubmitted+"/files/1", ok).withRoute("/review/claims/:id/files/:file"),
		reviewerRow(http.MethodGet, "/review/claims/"+cxDraft+"/files/2", notFound).withRoute("/review/claims/:id/files/:file"),

		// The operator's read-only view of every claim, drafts included.
		operatorRow(http.MethodGet, "/admin/claims", ok),
		operatorRow(http.MethodGet, "/admin/claims/"+cxDraft, ok).withRoute("/admin/claims/:id"),
		operatorRow(http.MethodGet, "/admin/claims/999", notFound).withRoute("/admin/claims/:id"),
		operatorRow(http.MethodGet, "/admin/claims/"+cxDraft+"/files/2", ok).withRoute("/admin/claims/:id/files/:file"),
		operatorRow(http.MethodGet, "/admin/claims/"+cxDraft+"/files/1", notFound).withRoute("/admin/claims/:id/files/:file"),

		// Customer links: the token is the key, whoever holds it.
		anyone(http.MethodGet, "/c/new", "/c/new", ok),
		anyone(http.MethodPost, "/c/new", "/c/new", ok).withForm(url.Values{"email": {"nobody@example.test"}}),
		anyone(http.MethodGet, "/c/"+cxTokOptOut, "/c/:token", ok),
		anyone(http.MethodGet, "/c/no-such-token-0000000000000000000000000000000", "/c/:token", notFound),
		anyone(http.MethodPost, "/c/"+cxTokOptOut+"/opt-out", "/c/:token/opt-out", ok).withForm(url.Values{"reason": {"Not our partner."}}),
		anyone(http.MethodPost, "/c/"+cxTokAccept+"/accept", "/c/:token/accept", ok),
		// Once opted out, accepting is too late.
		anyone(http.MethodPost, "/c/"+cxTokOptOut+"/accept", "/c/:token/accept", conflict),
		anyone(http.MethodGet, "/c/"+cxTokEnd+"/end", "/c/:token/end", ok),
		anyone(http.MethodPost, "/c/"+cxTokEnd+"/end", "/c/:token/end", ok),
		anyone(http.MethodPost, "/c/no-such-token-0000000000000000000000000000000/end", "/c/:token/end", notFound),
	)
}

// claimsMatrixSetup creates claims 1–7 through the models API.
func claimsMatrixSetup(t testing.TB, env *handlertest.Env) {
	ctx := context.Background()
	s := env.App.Store
	who := func(email string) models.Who {
		u, err := s.UserByEmail(ctx, email)
		if err != nil {
			t.Fatal(err)
		}
		locs, err := s.UserLocations(ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		return models.WhoOf(&models.Principal{User: *u, Locations: locs}, "192.0.2.10")
	}
	user, admin, reviewer := who(handlertest.UserEmail), who(handlertest.AdminEmail), who(handlertest.ReviewerEmail)
	num := func(q string, args ...any) int64 { return env.QueryInt(t, q, args...) }
	loc1 := num(`SELECT id FROM locations WHERE mpn_id = '1000001'`)
	loc2 := num(`SELECT id FROM locations WHERE mpn_id = '1000002'`)
	m365 := func(workload string) models.ClaimInput {
		return models.ClaimInput{LocationID: loc1, Domain: demoDomain, TenantID: demoTenant, ProgramID: programM365,
			ActivityID: num(`SELECT id FROM activities WHERE solution_area = 'm365' AND name = 'Usage'`), Name: "Matrix " + workload,
			WorkloadIDs:         []int64{num(`SELECT id FROM products WHERE name = ?`, workload)},
			CustomerContactName: "Ivan Admin", CustomerContactTitle: "IT lead", CustomerContactEmail: "it-admin@contoso-customer.test",
			PartnerContactName: "Anna Admin", PartnerContactEmail: handlertest.AdminEmail}
	}
	create := func(by models.Who, in models.ClaimInput) int64 {
		id, err := s.CreateDraft(ctx, by, in)
		if err != nil {
			t.Fatalf("matrix claim: %v", err)
		}
		if _, err := s.AddFiles(ctx, by, id, []models.Upload{{Name: "poe.pdf", Data: pdf}}); err != nil {
			t.Fatal(err)
		}
		return id
	}
	apply := func(by models.Who, id int64, acts ...models.Action) {
		for _, act := range acts {
			if _, err := s.Apply(ctx, nil, by, models.Request{ClaimID: id, Action: act}); err != nil {
				t.Fatalf("matrix claim %d: %s: %v", id, act, err)
			}
		}
	}
	review := func(id int64, acts ...models.Action) {
		apply(admin, id, models.ActSubmit)
		apply(reviewer, id, acts...)
	}
	// setToken gives the it-admin contact's link a token the rows know.
	setToken := func(id int64, token string) {
		h := sha256.Sum256([]byte(token))
		env.Exec(t, `UPDATE consent_links SET token_hash = ? WHERE claim_id = ? AND email = 'it-admin@contoso-customer.test'`, h[:], id)
	}

	ids := []int64{}
	c := create(user, m365("Exchange Online"))
	apply(admin, c, models.ActSubmit)
	ids = append(ids, c)
	ids = append(ids, create(user, m365("Microsoft Teams")))
	outside := models.ClaimInput{LocationID: loc2, Domain: demoDomain, TenantID: demoTenant, ProgramID: programOSA,
		ActivityID: num(`SELECT id FROM activities WHERE solution_area = 'bizapps' AND name = 'Usage'`), Name: "Matrix outside scope",
		Lines: []models.LineInput{{ProductID: num(`SELECT id FROM products WHERE name = 'Dynamics 365 Sales'`),
			SubscriptionID: "11111111-1111-4111-8111-111111111111"}}}
	ids = append(ids, create(admin, outside))
	for _, w := range []string{"SharePoint Online", "OneDrive for Business"} {
		c := create(user, m365(w))
		review(c, models.ActStartReview, models.ActApprove)
		ids = append(ids, c)
	}
	c = create(user, m365("Yammer"))
	review(c, models.ActStartReview, models.ActApprove)
	link := num(`SELECT id FROM consent_links WHERE claim_id = ? AND email = 'it-admin@contoso-customer.test'`, c)
	if _, err := s.Apply(ctx, nil, models.Who{Role: models.RoleCustomer, Label: "customer", LinkID: link},
		models.Request{ClaimID: c, Action: models.ActCustomerAccept}); err != nil {
		t.Fatal(err)
	}
	ids = append(ids, c)
	c = create(user, m365("Microsoft Intune"))
	review(c, models.ActStartReview)
	ids = append(ids, c)

	for i, want := range []string{cxSubmitted, cxDraft, cxOutside, cxOptOut, cxAccept, cxEnd, cxReview} {
		if got := strconv.FormatInt(ids[i], 10); got != want {
			t.Fatalf("access matrix setup: claim %d has ID %s, the rows expect %s (did another setup create claims first?)", i+1, got, want)
		}
	}
	for i, id := range ids[:3] {
		if got := num(`SELECT min(id) FROM claim_files WHERE claim_id = ?`, id); got != int64(i+1) {
			t.Fatalf("access matrix setup: claim %d's file has ID %d, the rows expect %d", id, got, i+1)
		}
	}
	setToken(ids[3], cxTokOptOut)
	setToken(ids[4], cxTokAccept)
	setToken(ids[5], cxTokEnd)
	for _, tok := range []string{cxTokOptOut, cxTokAccept, cxTokEnd} {
		if len(tok) < 40 || len(tok) > 64 || strings.ContainsAny(tok, "/?#") {
			t.Fatalf("token %q is not a plausible link token", tok)
		}
	}
	if n := num(`SELECT count(*) FROM claims`); n != 7 {
		t.Fatalf("access matrix setup: %d claims, want 7", n)
	}
}
