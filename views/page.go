package views

import (
	"context"

	"cpor/models"
)

// Page is what every component may know about the request. Handlers build
// it; components read it with PageOf(ctx). templ never sees echo.Context.
type Page struct {
	Lang  string
	User  *models.Principal // nil when nobody is signed in
	CSRF  string
	Flash []Flash
	Path  string // the current path and query, for the language switch
	// Reason explains why an email was sent (footer), in email rendering only.
	Email bool
}

// Flash is a one-time message shown at the top of the next page.
type Flash struct {
	Kind string // success, error or info
	Text string // already translated
}

type pageKey struct{}

// WithPage stores p in ctx.
func WithPage(ctx context.Context, p *Page) context.Context {
	return context.WithValue(ctx, pageKey{}, p)
}

// PageOf returns the request's Page (an English anonymous one if none is set).
func PageOf(ctx context.Context) *Page {
	if p, ok := ctx.Value(pageKey{}).(*Page); ok {
		return p
	}
	return &Page{Lang: "en"}
}

// T translates a plain message into the request's language.
func T(ctx context.Context, id string) string { return catalog.Text(PageOf(ctx).Lang, id, nil) }

// Tf translates a message with fields, e.g. Tf(ctx, "claims.count", "Count", 3).
func Tf(ctx context.Context, id string, kv ...any) string {
	data := make(map[string]any, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		data[kv[i].(string)] = kv[i+1]
	}
	return catalog.Text(PageOf(ctx).Lang, id, data)
}

// Role returns the user's role, or "" when anonymous.
func (p *Page) Role() models.Role {
	if p.User == nil {
		return ""
	}
	return p.User.Role
}

// TextData translates a message with a prepared data map.
func TextData(ctx context.Context, id string, data map[string]any) string {
	return catalog.Text(PageOf(ctx).Lang, id, data)
}
