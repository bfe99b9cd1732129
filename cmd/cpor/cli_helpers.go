package main

import (
	"cpor/models"
	"cpor/views"
	"cpor/views/emails"
)

func composer() models.Composer { return emails.Composer{} }

// importReason renders a directory-import problem in English for the terminal.
func importReason(e models.ImportRowError) string {
	return views.TheCatalog().Text("en", e.Reason, map[string]any{"Value": e.Arg})
}

func seedClaims(s *models.Store, n int, out interface{ Write([]byte) (int, error) }) error {
	return models.SeedClaims(s, n, out)
}
