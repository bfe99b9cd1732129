package views

import (
	"strings"
	"testing"
)

// Every message must exist in both languages, and a Hungarian text must
// not simply be the English one (names and codes excepted).
func TestCatalogueHasEveryKeyInBothLanguages(t *testing.T) {
	c := TheCatalog()
	for _, pair := range [][2]string{{"en", "hu"}, {"hu", "en"}} {
		for _, id := range c.IDs(pair[0]) {
			if !c.Has(pair[1], id) {
				t.Errorf("message %q is in %s but not in %s", id, pair[0], pair[1])
			}
		}
	}
	if len(c.IDs("en")) < 50 {
		t.Fatalf("catalogue looks empty: %d messages", len(c.IDs("en")))
	}
}

func TestTextFillsFieldsAndFallsBackToID(t *testing.T) {
	c := TheCatalog()
	if got := c.Text("hu", "auth.sign_in", nil); got != "Bejelentkezés" {
		t.Errorf("hu auth.sign_in = %q", got)
	}
	if got := c.Text("en", "auth.set_password_for", map[string]any{"Email": "a@b.test"}); !strings.Contains(got, "a@b.test") {
		t.Errorf("field not filled: %q", got)
	}
	if got := c.Text("en", "no.such.message", nil); got != "no.such.message" {
		t.Errorf("unknown ID should render as itself, got %q", got)
	}
}

func TestLangFromHeader(t *testing.T) {
	for h, want := range map[string]string{
		"hu-HU,hu;q=0.9,en;q=0.8": "hu",
		"en-GB,en;q=0.9":          "en",
		"de-DE":                   "en",
		"":                        "en",
		"garbage;;;q=x":           "en",
	} {
		if got := LangFromHeader(h); got != want {
			t.Errorf("LangFromHeader(%q) = %q, want %q", h, got, want)
		}
	}
}
