package handlers_test

import (
	"net/http"
	"strings"
	"testing"

	ht "cpor/handlers/handlertest"
	"cpor/views/help"
)

func init() {
	addAccessRows(
		signedInRow(http.MethodGet, "/help", ok),
		signedInRow(http.MethodGet, "/help/create", ok).withRoute("/help/:topic"),
		signedInRow(http.MethodGet, "/help/nothing-here", notFound).withRoute("/help/:topic"),
	)
}

// Every message the claim form can show is explained on the issues page
// under the anchor the form links to, in both languages.
func TestHelpExplainsEveryFormMessage(t *testing.T) {
	env := ht.New(t)
	for _, lang := range []string{"en", "hu"} {
		c := env.NewClient(t)
		c.LoginAs(ht.UserEmail)
		c.PostForm("/lang", map[string][]string{"lang": {lang}, "back": {"/help/issues"}})
		page := c.Get("/help/issues")
		ht.WantStatus(t, page, http.StatusOK)
		doc := page.Doc()
		for _, id := range help.FormMessages {
			card := doc.Find(`[id="` + id + `"]`)
			if card.Length() != 1 {
				t.Errorf("%s: no explanation with id %q", lang, id)
				continue
			}
			text := card.Text()
			if strings.Contains(text, "help."+id) || strings.Contains(text, id) {
				t.Errorf("%s: explanation of %s shows a catalogue ID: %q", lang, id, text)
			}
		}
		for _, topic := range help.Topics {
			ht.WantStatus(t, c.Get("/help/"+topic), http.StatusOK)
		}
	}
}

// A form message links to its explanation.
func TestFormMessagesLinkToHelp(t *testing.T) {
	env := ht.New(t)
	c := env.NewClient(t)
	c.LoginAs(ht.UserEmail)
	c.Get("/claims/new?program=2")
	r := c.PostForm("/claims", map[string][]string{"program": {"2"}, "op": {"save"}})
	ht.WantStatus(t, r, http.StatusUnprocessableEntity)
	link, ok := r.Doc().Find(`#f-tenant-error a`).Attr("href")
	if !ok || link != "/help/issues#claim.err_tenant_format" {
		t.Fatalf("tenant message links to %q", link)
	}
}
