package browser_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	ht "cpor/handlers/handlertest"
	"cpor/views"
)

// englishTexts are the catalogue's English phrases that differ in
// Hungarian: texts with a space, at least 8 characters, without fields.
func englishTexts() []string {
	cat := views.TheCatalog()
	seen := map[string]bool{}
	var out []string
	for _, id := range cat.IDs("en") {
		en := cat.Text("en", id, nil)
		if strings.Contains(en, "{{") || !strings.Contains(en, " ") || len(en) < 8 ||
			en == cat.Text("hu", id, nil) || seen[en] {
			continue
		}
		seen[en] = true
		out = append(out, en)
	}
	return out
}

// Every page of the sweep, rendered in Hungarian for the person who sees it,
// shows no English catalogue text (SPEC §6). Plain HTTP: the browser sweep
// checks the same pages' accessibility and HTML in English.
func TestEveryPageInHungarianHasNoEnglish(t *testing.T) {
	t.Parallel()
	env := ht.New(t)
	w := seedWorld(t, env)
	english := englishTexts()
	pages := 0
	for _, part := range sweepPlan(w) {
		for _, who := range part {
			c := env.NewClient(t)
			c.Get("/login")
			c.PostForm("/lang", url.Values{"lang": {"hu"}, "back": {"/login"}})
			if who.email != "" {
				c.LoginAs(who.email)
				c.PostForm("/lang", url.Values{"lang": {"hu"}, "back": {"/"}})
			}
			for _, v := range who.visits {
				r := c.Get(v.path)
				if r.StatusCode != v.want && !(v.want == 200 && r.StatusCode == 303) {
					t.Errorf("%s %s: status %d, want %d", who.who, v.path, r.StatusCode, v.want)
					continue
				}
				if r.StatusCode == 303 {
					r = c.Get(r.Location())
				}
				doc := r.Doc()
				if lang, _ := doc.Find("html").Attr("lang"); lang != "hu" {
					t.Errorf("%s %s: page language %q, want hu", who.who, v.path, lang)
				}
				text := visibleText(doc)
				for _, en := range english {
					if strings.Contains(text, en) {
						t.Errorf("%s %s: the Hungarian page shows the English text %q", who.who, v.path, en)
					}
				}
				pages++
			}
		}
	}
	t.Logf("checked %d pages in Hungarian against %d English texts", pages, len(english))
}

// visibleText is the text a person reads: the body without scripts, and
// the labels that live in attributes.
func visibleText(doc *goquery.Document) string {
	body := doc.Find("body").Clone()
	// Stored text in another language (an email as it was sent) says so with
	// its own lang attribute; it is data, not the page's words.
	body.Find(`script, style, [lang]:not([lang="hu"])`).Remove()
	parts := []string{body.Text()}
	doc.Find("[aria-label], [placeholder], [title], input[type=submit][value]").Each(func(_ int, s *goquery.Selection) {
		for _, a := range []string{"aria-label", "placeholder", "title", "value"} {
			if v, ok := s.Attr(a); ok {
				parts = append(parts, v)
			}
		}
	})
	return strings.Join(strings.Fields(strings.Join(parts, " ")), " ")
}
