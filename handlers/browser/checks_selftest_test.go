package browser_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
)

// badPage breaks every rule the page checks enforce, once each.
const badPage = `<!DOCTYPE html>
<html lang="hu">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Hibás oldal</title></head>
<body>
<main>
<h1>Hibás oldal</h1>
<p id="twice">Egy</p><p id="twice">Kettő</p>
<img src="/pixel.svg">
<input type="text" name="unlabelled">
<div style="width: 600px">Túl széles</div>
<p>Waiting on your admin</p>
<img src="http://198.51.100.7/tracker.png" alt="">
<script>console.error("broken on purpose")</script>
</main>
</body>
</html>`

// TestCheckersFindProblems shows that the page checks are live: a page
// with a Nu error, axe violations, sideways scrolling at 375 px, a console
// error, a request to another host and English text on a Hungarian page is
// reported for each. A checker that silently stopped working (axe not
// injected, vnu output not read) would make the whole suite pass vacuously.
func TestCheckersFindProblems(t *testing.T) {
	t.Parallel()
	bad := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/pixel.svg" {
			w.Header().Set("Content-Type", "image/svg+xml")
			fmt.Fprint(w, `<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"/>`)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, badPage)
	}))
	defer bad.Close()

	s := newSession(t)
	u, _ := url.Parse(bad.URL)
	s.host = u.Host
	var mu sync.Mutex
	var found []string
	s.report = func(msg string) {
		mu.Lock()
		defer mu.Unlock()
		found = append(found, msg)
	}
	tb := s.Person("checker", inLanguage("hu"))
	tb.Open(bad.URL + "/bad")
	s.checkHTML()
	s.mu.Lock()
	s.pages = nil // checked: the cleanup has nothing left to run
	s.mu.Unlock()

	all := strings.Join(found, "\n")
	for _, want := range []string{
		"Nu HTML checker", "Duplicate ID",
		"axe image-alt", "axe label",
		"scrolls sideways at 375 px",
		"console.error: broken on purpose",
		"request to another host: http://198.51.100.7/tracker.png",
		`shows the English text "Waiting on your admin"`,
	} {
		if !strings.Contains(all, want) {
			t.Errorf("the checks did not report %q; they reported:\n%s", want, all)
		}
	}
}
