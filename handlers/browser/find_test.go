package browser_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/chromedp/cdproto/accessibility"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/dom"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"cpor/views"
)

// People find things on a page by what they are called: a field by its
// label, a button or link by its text. The browser computes exactly that —
// the accessible name — so the suite asks Chromium's accessibility tree
// for an element with a role and a name, never for a CSS path. A field
// found this way is also proof that its label is wired to it.

// Roles a person may mean.
var (
	pressRoles = []string{"button", "link"}
	textRoles  = []string{"textbox", "searchbox"}
	selectRole = []string{"combobox"}
	checkRole  = []string{"checkbox"}
	radioRole  = []string{"radio"}
	fileRole   = []string{"button"} // Chromium exposes <input type=file> as a button named by its label
)

// axMatch describes an element to find.
type axMatch struct {
	roles  []string
	name   string
	prefix bool   // the name starts with name (a radio's label with a hint after it)
	within string // the name of the heading of the part of the page to look in
}

func (m axMatch) String() string {
	s := strings.Join(m.roles, "/") + fmt.Sprintf(" %q", m.name)
	if m.prefix {
		s += "…"
	}
	if m.within != "" {
		s += fmt.Sprintf(" in the part headed %q", m.within)
	}
	return s
}

// byName is the query option that finds the element through the
// accessibility tree: the first one, in document order, not hidden.
func byName(m axMatch) chromedp.QueryOption {
	return chromedp.ByFunc(func(ctx context.Context, t *chromedp.Target, n *chromedp.Node) ([]cdp.NodeID, error) {
		root, err := scopeRoot(ctx, t, n.NodeID, m.within)
		if err != nil || root == 0 {
			return []cdp.NodeID{}, err
		}
		found, err := axFind(ctx, t, root, m)
		if err != nil || len(found) == 0 {
			return []cdp.NodeID{}, err
		}
		ids := []cdp.BackendNodeID{found[0].BackendDOMNodeID}
		pushed, err := cdp.Call(ctx, t, dom.PushNodesByBackendIDsToFrontend, dom.PushNodesByBackendIDsToFrontendParams{BackendNodeIDs: ids})
		if err != nil {
			return nil, err
		}
		return pushed.NodeIDs, nil
	})
}

// axFind lists the elements under root with one of m's roles and m's name,
// in document order, the first role first. It asks by role and compares
// names itself: Chromium's query by name misses some elements (a file
// input named by its label).
func axFind(ctx context.Context, t *chromedp.Target, root cdp.NodeID, m axMatch) ([]*accessibility.Node, error) {
	var out []*accessibility.Node
	for _, role := range m.roles {
		res, err := cdp.Call(ctx, t, accessibility.QueryAXTree, accessibility.QueryAXTreeParams{NodeID: root, Role: role})
		if err != nil {
			return nil, err
		}
		for _, an := range res.Nodes {
			if an.Ignored || an.BackendDOMNodeID == 0 {
				continue
			}
			name := axString(an.Name)
			if name == m.name || (m.prefix && strings.HasPrefix(name, m.name)) {
				out = append(out, an)
			}
		}
	}
	return out, nil
}

// scopeRoot is the node to search in: the document, or the part of the
// page (form, card, fieldset) that holds the heading named within; 0 when
// there is no such heading.
func scopeRoot(ctx context.Context, t *chromedp.Target, doc cdp.NodeID, within string) (cdp.NodeID, error) {
	if within == "" {
		return doc, nil
	}
	res, err := cdp.Call(ctx, t, accessibility.QueryAXTree, accessibility.QueryAXTreeParams{NodeID: doc, AccessibleName: within, Role: "heading"})
	if err != nil {
		return 0, err
	}
	for _, an := range res.Nodes {
		if an.Ignored || an.BackendDOMNodeID == 0 {
			continue
		}
		obj, err := cdp.Call(ctx, t, dom.ResolveNode, dom.ResolveNodeParams{BackendNodeID: an.BackendDOMNodeID})
		if err != nil {
			return 0, err
		}
		part, err := cdp.Call(ctx, t, runtime.CallFunctionOn, runtime.CallFunctionOnParams{
			ObjectID:            obj.Object.ObjectID,
			FunctionDeclaration: `function() { return this.closest('form, fieldset, section, .card') || this.parentElement; }`,
		})
		if err != nil {
			return 0, err
		}
		node, err := cdp.Call(ctx, t, dom.RequestNode, dom.RequestNodeParams{ObjectID: part.Result.ObjectID})
		if err != nil {
			return 0, err
		}
		return node.NodeID, nil
	}
	return 0, nil
}

// axString reads a string value of the accessibility tree.
func axString(v *accessibility.Value) string {
	if v == nil || len(v.Value) == 0 {
		return ""
	}
	var s string
	if err := json.Unmarshal(v.Value, &s); err != nil {
		return string(v.Value)
	}
	return strings.TrimSpace(s)
}

// sel is the label of a query in error messages; byName does the lookup.
func sel(m axMatch) chromedp.Search { return chromedp.Search(m.String()) }

// names lists what a person could find on the page with these roles, for
// error messages ("no button Submit claim; there are: …").
func (tb *Tab) names(roles []string) string {
	ctx, cancel := context.WithTimeout(tb.ctx, stepTimeout)
	defer cancel()
	nodes, err := chromedp.Run(ctx, chromedp.Nodes(chromedp.CSS("html")))
	if err != nil || len(nodes) == 0 {
		return "?"
	}
	res, err := chromedp.Call(ctx, accessibility.QueryAXTree, accessibility.QueryAXTreeParams{NodeID: nodes[0].NodeID})
	if err != nil {
		return "?"
	}
	var out []string
	for _, an := range res.Nodes {
		if !an.Ignored && slices.Contains(roles, axString(an.Role)) {
			out = append(out, fmt.Sprintf("%s %q", axString(an.Role), axString(an.Name)))
		}
	}
	return strings.Join(out, ", ")
}

// exists reports whether the element is on the page now (no waiting).
func (tb *Tab) exists(m axMatch) bool {
	tb.t().Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, stepTimeout)
	defer cancel()
	nodes, err := chromedp.Run(ctx, chromedp.Nodes(chromedp.CSS("html")))
	if err != nil {
		tb.t().Fatalf("%s: read the page: %v", tb.name, err)
	}
	found, err := byNameNow(ctx, nodes[0].NodeID, m)
	if err != nil {
		tb.t().Fatalf("%s: look for %s: %v", tb.name, m, err)
	}
	return found
}

func byNameNow(ctx context.Context, doc cdp.NodeID, m axMatch) (bool, error) {
	var root cdp.NodeID
	err := chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		var err error
		root, err = scopeRoot(ctx, t, doc, m.within)
		return err
	}))
	if err != nil || root == 0 {
		return false, err
	}
	var found []*accessibility.Node
	err = chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		found, err = axFind(ctx, t, root, m)
		return err
	}))
	return len(found) > 0, err
}

// query runs an action on the element, failing with the names on the page
// when it is not there.
func (tb *Tab) query(m axMatch, what string, act func(chromedp.Search, chromedp.QueryOption) chromedp.Action[chromedp.Void]) {
	tb.t().Helper()
	if !tb.exists(m) {
		tb.t().Fatalf("%s: %s: there is no %s on %s. There are: %s", tb.name, what, m, tb.last, tb.names(m.roles))
	}
	tb.do(what, act(sel(m), byName(m)))
}

// match scopes an element to the part of the page set by In.
func (tb *Tab) match(m axMatch) axMatch {
	m.within = tb.within
	return m
}

// In runs fn with every lookup limited to the part of the page (form,
// fieldset or card) headed heading — "the Note field of Request
// information", as a person would say.
func (tb *Tab) In(heading string, fn func()) {
	tb.t().Helper()
	prev := tb.within
	tb.within = tb.T(heading)
	defer func() { tb.within = prev }()
	fn()
}

// Press clicks the button or link with this name and expects the page it
// leads to to answer 200.
func (tb *Tab) Press(name string) { tb.t().Helper(); tb.PressWant(name, 200) }

// PressWant clicks the button or link and expects the next page's status.
func (tb *Tab) PressWant(name string, want int) {
	tb.t().Helper()
	m := tb.match(axMatch{roles: pressRoles, name: tb.T(name)})
	if !tb.exists(m) {
		tb.t().Fatalf("%s: press %q: there is no such button or link on %s. There are: %s", tb.name, m.name, tb.last, tb.names(pressRoles))
	}
	tb.navigate("press "+m.name, want, chromedp.Click(sel(m), byName(m)))
}

// Can reports whether a button or link with this name is on the page.
func (tb *Tab) Can(name string) bool {
	tb.t().Helper()
	return tb.exists(tb.match(axMatch{roles: pressRoles, name: tb.T(name)}))
}

// Fill types into the text field labelled label, replacing what it holds.
func (tb *Tab) Fill(label, text string) {
	tb.t().Helper()
	m := tb.match(axMatch{roles: textRoles, name: tb.T(label)})
	tb.query(m, "fill in "+label, func(s chromedp.Search, o chromedp.QueryOption) chromedp.Action[chromedp.Void] {
		// Empty the field (as select-all and delete would), then type.
		steps := []chromedp.Action[chromedp.Void]{func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
			return onNode[chromedp.Void](m, `function() { this.value = ''; }`)(ctx, t)
		}}
		if text != "" {
			steps = append(steps, chromedp.SendKeys(s, text, o))
		}
		return chromedp.Steps(steps...)
	})
}

// Value is what the field labelled label holds now.
func (tb *Tab) Value(label string) string {
	tb.t().Helper()
	m := tb.match(axMatch{roles: append(append([]string{}, textRoles...), "combobox"), name: tb.T(label)})
	if !tb.exists(m) {
		tb.t().Fatalf("%s: no field %s on %s. There are: %s", tb.name, m, tb.last, tb.names(m.roles))
	}
	ctx, cancel := context.WithTimeout(tb.ctx, stepTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, onNode[string](m, `function() {
		if (this.tagName === 'SELECT') { const o = this.options[this.selectedIndex]; return o ? o.text.trim() : ''; }
		return this.value; }`))
	if err != nil {
		tb.t().Fatalf("%s: read %s: %v", tb.name, m, err)
	}
	return v
}

// Select picks the option whose text is (or starts with) option in the
// drop-down labelled label.
func (tb *Tab) Select(label, option string) {
	tb.t().Helper()
	m := tb.match(axMatch{roles: selectRole, name: tb.T(label)})
	if !tb.exists(m) {
		tb.t().Fatalf("%s: no drop-down %s on %s. There are: %s", tb.name, m, tb.last, tb.names(selectRole))
	}
	ctx, cancel := context.WithTimeout(tb.ctx, stepTimeout)
	defer cancel()
	ok, err := chromedp.Run(ctx, onNode[bool](m, `function(text) {
		for (const o of this.options) {
			const t = o.text.trim();
			if (t === text || t.startsWith(text)) {
				this.focus(); this.value = o.value;
				this.dispatchEvent(new Event('input', {bubbles: true}));
				this.dispatchEvent(new Event('change', {bubbles: true}));
				return true;
			}
		}
		return false; }`, tb.T(option)))
	if err != nil {
		tb.t().Fatalf("%s: choose %q in %s: %v", tb.name, option, m, err)
	}
	if !ok {
		tb.t().Fatalf("%s: %s has no option %q on %s", tb.name, m, option, tb.last)
	}
}

// Check ticks the checkbox labelled label (if it is not ticked yet); a
// label with a note after it ("1000001 Contoso Partners Budapest") is found
// by its start when no label is exactly label.
func (tb *Tab) Check(label string) {
	tb.t().Helper()
	m := tb.match(axMatch{roles: checkRole, name: tb.T(label)})
	if !tb.exists(m) {
		m.prefix = true
	}
	if tb.checked(m) {
		return
	}
	tb.query(m, "tick "+label, func(s chromedp.Search, o chromedp.QueryOption) chromedp.Action[chromedp.Void] {
		return chromedp.Click(s, o)
	})
	if !tb.checked(m) {
		tb.t().Fatalf("%s: %s is not ticked after a click", tb.name, m)
	}
}

// Uncheck clears the checkbox labelled label.
func (tb *Tab) Uncheck(label string) {
	tb.t().Helper()
	m := tb.match(axMatch{roles: checkRole, name: tb.T(label)})
	if !tb.checked(m) {
		return
	}
	tb.query(m, "untick "+label, func(s chromedp.Search, o chromedp.QueryOption) chromedp.Action[chromedp.Void] {
		return chromedp.Click(s, o)
	})
}

func (tb *Tab) checked(m axMatch) bool {
	tb.t().Helper()
	if !tb.exists(m) {
		tb.t().Fatalf("%s: no %s on %s. There are: %s", tb.name, m, tb.last, tb.names(m.roles))
	}
	ctx, cancel := context.WithTimeout(tb.ctx, stepTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, onNode[bool](m, `function() { return this.checked; }`))
	if err != nil {
		tb.t().Fatalf("%s: read %s: %v", tb.name, m, err)
	}
	return v
}

// Choose picks the radio button whose label starts with label.
func (tb *Tab) Choose(label string) {
	tb.t().Helper()
	m := tb.match(axMatch{roles: radioRole, name: tb.T(label), prefix: true})
	tb.query(m, "choose "+label, func(s chromedp.Search, o chromedp.QueryOption) chromedp.Action[chromedp.Void] {
		return chromedp.Click(s, o)
	})
}

// Upload puts files into the file field labelled label.
func (tb *Tab) Upload(label string, files ...string) {
	tb.t().Helper()
	m := tb.match(axMatch{roles: fileRole, name: tb.T(label)})
	tb.query(m, "choose files for "+label, func(s chromedp.Search, o chromedp.QueryOption) chromedp.Action[chromedp.Void] {
		return chromedp.SetUploadFiles(s, files, o)
	})
}

// onNode calls a JavaScript function with the found element as this.
func onNode[T any](m axMatch, fn string, args ...any) chromedp.Action[T] {
	return chromedp.QueryAfter(sel(m), func(ctx context.Context, t *chromedp.Target, nodes []*chromedp.Node) (T, error) {
		var zero T
		obj, err := cdp.Call(ctx, t, dom.ResolveNode, dom.ResolveNodeParams{NodeID: nodes[0].NodeID})
		if err != nil {
			return zero, err
		}
		return chromedp.CallFunctionOn[T](fn, func(p *runtime.CallFunctionOnParams) { p.ObjectID = obj.Object.ObjectID }, args...)(ctx, t)
	}, byName(m))
}

var (
	englishOnce sync.Once
	english     []string // English catalogue texts that a page in another language must not show
)

// noEnglish fails the test if a page in another language shows an English
// catalogue text (SPEC §6: a Hungarian page shows no English catalogue
// text). Only sentences and phrases are looked for — texts with a space,
// different in Hungarian — so names and single words shared by both
// languages cannot match by accident.
func (tb *Tab) noEnglish(step string) {
	tb.t().Helper()
	englishOnce.Do(func() {
		cat := views.TheCatalog()
		seen := map[string]bool{}
		for _, id := range cat.IDs("en") {
			en := cat.Text("en", id, nil)
			if strings.Contains(en, "{{") || !strings.Contains(en, " ") || len(en) < 8 || en == cat.Text(tb.lang, id, nil) || seen[en] {
				continue
			}
			seen[en] = true
			english = append(english, en)
		}
	})
	page := eval[string](tb, "read the page", `document.body ? document.body.innerText : ""`)
	page = strings.Join(strings.Fields(page), " ")
	for _, en := range english {
		if strings.Contains(page, en) {
			tb.s.fail("%s: a %s page shows the English text %q", step, tb.lang, en)
		}
	}
}

// The words people read are English in the tests (SPEC §7); a person in
// another language finds the same element by the catalogue's translation.

var (
	reverseOnce sync.Once
	reverse     map[string][]string // English text → catalogue IDs
)

// T gives text in the person's language: an English catalogue text is
// translated; "id:some.id" names a catalogue entry; anything else (names,
// numbers, data) is returned as it is.
func (tb *Tab) T(text string) string {
	tb.t().Helper()
	s, err := translateErr(tb.lang, text)
	if err != nil {
		tb.t().Fatal(err)
	}
	return s
}

// translate is T outside a person's browser.
func translate(lang, text string) string {
	s, err := translateErr(lang, text)
	if err != nil {
		panic(err)
	}
	return s
}

func translateErr(lang, text string) (string, error) {
	cat := views.TheCatalog()
	if id, ok := strings.CutPrefix(text, "id:"); ok {
		if !cat.Has(lang, id) {
			return "", fmt.Errorf("the catalogue has no %s in %s", id, lang)
		}
		return cat.Text(lang, id, nil), nil
	}
	if lang == "en" {
		return text, nil
	}
	reverseOnce.Do(func() {
		reverse = map[string][]string{}
		for _, id := range cat.IDs("en") {
			en := cat.Text("en", id, nil)
			reverse[en] = append(reverse[en], id)
		}
	})
	ids := reverse[text]
	if len(ids) == 0 {
		return text, nil
	}
	out := cat.Text(lang, ids[0], nil)
	for _, id := range ids[1:] {
		if other := cat.Text(lang, id, nil); other != out {
			return "", fmt.Errorf("%q is %q (%s) and %q (%s) in %s: name the catalogue ID (id:…)", text, out, ids[0], other, id, lang)
		}
	}
	return out, nil
}

// PartText is what the part of the page headed heading says (the card,
// form or fieldset holding the heading), spaces collapsed.
func (tb *Tab) PartText(heading string) string {
	tb.t().Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, stepTimeout)
	defer cancel()
	var text string
	err := chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		doc, err := chromedp.Run(ctx, chromedp.Nodes(chromedp.CSS("html")))
		if err != nil {
			return err
		}
		root, err := scopeRoot(ctx, t, doc[0].NodeID, tb.T(heading))
		if err != nil {
			return err
		}
		if root == 0 {
			return fmt.Errorf("there is no heading %q", tb.T(heading))
		}
		obj, err := cdp.Call(ctx, t, dom.ResolveNode, dom.ResolveNodeParams{NodeID: root})
		if err != nil {
			return err
		}
		text, err = chromedp.CallFunctionOn[string](`function() { return this.innerText; }`,
			func(p *runtime.CallFunctionOnParams) { p.ObjectID = obj.Object.ObjectID })(ctx, t)
		return err
	}))
	if err != nil {
		tb.t().Fatalf("%s: read the part %q of %s: %v", tb.name, heading, tb.last, err)
	}
	return strings.Join(strings.Fields(text), " ")
}

// Described is the accessible description of the field labelled label: what
// a screen reader says after its name — its hint and its error message.
func (tb *Tab) Described(label string) string {
	tb.t().Helper()
	m := tb.match(axMatch{roles: append(append(append([]string{"group"}, textRoles...), selectRole...), fileRole...), name: tb.T(label)})
	ctx, cancel := context.WithTimeout(tb.ctx, stepTimeout)
	defer cancel()
	var desc string
	found := false
	err := chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		doc, err := chromedp.Run(ctx, chromedp.Nodes(chromedp.CSS("html")))
		if err != nil {
			return err
		}
		root, err := scopeRoot(ctx, t, doc[0].NodeID, m.within)
		if err != nil || root == 0 {
			return err
		}
		nodes, err := axFind(ctx, t, root, m)
		if err != nil || len(nodes) == 0 {
			return err
		}
		desc, found = axString(nodes[0].Description), true
		return nil
	}))
	if err != nil {
		tb.t().Fatalf("%s: read the description of %s: %v", tb.name, m, err)
	}
	if !found {
		tb.t().Fatalf("%s: no field %s on %s. There are: %s", tb.name, m, tb.last, tb.names(m.roles))
	}
	return strings.Join(strings.Fields(desc), " ")
}

// SaysAt fails the test unless the field labelled label is described (hint
// and message, tied to it with aria-describedby) by text.
func (tb *Tab) SaysAt(label, text string) {
	tb.t().Helper()
	if d := tb.Described(label); !strings.Contains(d, tb.T(text)) {
		tb.t().Errorf("%s: the field %q should say %q; its description is %q", tb.last, tb.T(label), tb.T(text), d)
	}
}
