// Package browser holds the end-to-end browser suite (its tests only): the
// journeys of the "Browser journeys" issue and a sweep over every GET page of
// the route table, driven with chromedp through Debian's Chromium against the
// real app that handlertest starts in the test process.
//
// Elements are found the way people find them — by the accessible name of a
// field's label or a button, read from Chromium's accessibility tree — never
// by CSS paths. Every page a test visits is screenshot at 1280 and 375 px
// wide (test-output/browser/<test>/), checked for horizontal scrolling at
// 375 px, console errors and requests to other hosts, run through axe-core
// (injected from node_modules) and, once per test, the Nu HTML checker.
//
// The checkers come from npm (package.json here): `npm ci --prefix
// handlers/browser --ignore-scripts`, which `make test` runs. The suite needs
// /usr/bin/chromium (or CPOR_CHROMIUM) and java; when one is missing it fails
// with a message saying what to install. `go test -short` leaves it out.
package browser
