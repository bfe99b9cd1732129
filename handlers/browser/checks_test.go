package browser_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/chromedp/chromedp"
)

// axeViolation is what the suite reads of an axe-core violation.
type axeViolation struct {
	ID     string   `json:"id"`
	Impact string   `json:"impact"`
	Help   string   `json:"help"`
	URL    string   `json:"helpUrl"`
	Nodes  []string `json:"nodes"`
}

// axeRunJS runs every rule axe-core enables by default (none is turned off)
// over the whole document and returns the violations.
const axeRunJS = `axe.run(document, {resultTypes: ['violations']}).then(r => r.violations.map(v => ({
  id: v.id, impact: v.impact || '', help: v.help, helpUrl: v.helpUrl,
  nodes: v.nodes.slice(0, 5).map(n => n.target.join(' ') + ' — ' + (n.failureSummary || '').replace(/\s+/g, ' ') + ' — ' + n.html.slice(0, 160))
})))`

// axe injects axe-core into the page (through DevTools, so it works with
// the page's JavaScript off and is not subject to its CSP) and fails the
// test for each violation.
func (tb *Tab) axe(step string) {
	tb.t().Helper()
	if !eval[bool](tb, "look for axe", `typeof window.axe === 'object'`) {
		eval[chromedp.Void](tb, "inject axe-core", axeSource)
	}
	vs := eval[[]axeViolation](tb, "run axe-core", axeRunJS, chromedp.EvalAwaitPromise)
	for _, v := range vs {
		tb.s.fail("%s: axe %s (%s): %s <%s>\n    %s", step, v.ID, v.Impact, v.Help, v.URL, strings.Join(v.Nodes, "\n    "))
	}
}

// vnuMessage is one message of the Nu checker's JSON output.
type vnuMessage struct {
	Type    string `json:"type"`
	SubType string `json:"subType"`
	URL     string `json:"url"`
	Line    int    `json:"lastLine"`
	Column  int    `json:"firstColumn"`
	Message string `json:"message"`
	Extract string `json:"extract"`
}

// checkHTML runs the Nu HTML checker once over every page the test loaded
// (as the server sent it: files, since vnu refuses loopback URLs) and
// fails the test for each error.
func (s *Session) checkHTML() {
	s.t.Helper()
	s.mu.Lock()
	pages := append([]*page(nil), s.pages...)
	s.mu.Unlock()
	if len(pages) == 0 {
		return
	}
	dir := s.t.TempDir()
	byFile := map[string]*page{}
	var files []string
	for _, p := range pages {
		if len(p.html) == 0 {
			continue
		}
		f := filepath.Join(dir, p.step+".html")
		if err := os.WriteFile(f, p.html, 0o644); err != nil {
			s.t.Error(err)
			return
		}
		files = append(files, f)
		byFile[p.step+".html"] = p
	}
	if len(files) == 0 {
		return
	}
	msgs, err := runVnu(files)
	if err != nil {
		s.t.Errorf("Nu HTML checker: %v", err)
		return
	}
	for _, m := range msgs {
		if m.Type != "error" && !(m.Type == "non-document-error") {
			continue
		}
		p := byFile[filepath.Base(m.URL)]
		where := m.URL
		if p != nil {
			where = p.step + " (" + p.url + ")"
		}
		s.fail("%s: Nu HTML checker, line %d: %s\n    %s", where, m.Line, m.Message, m.Extract)
	}
}

// runVnu starts one JVM for all the files.
func runVnu(files []string) ([]vnuMessage, error) {
	args := append([]string{"-jar", vnuJar, "--errors-only", "--format", "json", "--exit-zero-always"}, files...)
	cmd := exec.Command("java", args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("%v: %s", err, clip(stderr.String()+stdout.String(), 2000))
	}
	out := stderr.Bytes()
	if len(bytes.TrimSpace(out)) == 0 {
		out = stdout.Bytes()
	}
	var res struct {
		Messages []vnuMessage `json:"messages"`
	}
	if err := json.Unmarshal(out, &res); err != nil {
		return nil, fmt.Errorf("read its output: %v: %s", err, clip(string(out), 2000))
	}
	return res.Messages, nil
}
