// Package handlers is the HTTP layer: the route table, middleware and one
// resource struct per area. Handlers parse input, call models and pick views;
// they hold no business rules.
package handlers

import (
	"time"
)

// Config is what the web layer needs from the process configuration.
type Config struct {
	PublicURL      string // scheme://host[:port], no trailing slash
	SecureCookies  bool   // true when PublicURL is https
	SessionKey     []byte // ≥ 32 bytes; signs and encrypts the session cookie
	Dev            bool
	TrustedProxies []string // CIDRs whose X-Forwarded-For is believed

	// Rate limits (SPEC §6), overridable from the environment.
	LoginFailuresPerAccount int
	LoginFailuresPerAddress int
	LoginWindow             time.Duration
	LinkRequestsPerMinute   int // customer-link and new-link pages, per address
}

// Body limits: forms are small; uploads carry files of ≤ 10 MiB each.
const (
	formBodyLimit   = 256 << 10
	MaxFileSize     = 10 << 20
	uploadBodyLimit = 5*MaxFileSize + 1<<20
	importBodyLimit = 8 << 20
)
