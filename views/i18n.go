// Package views renders pages and emails with templ. Components read the
// request's Page (language, person, CSRF token, flash) from the context.
package views

import (
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"strings"

	"github.com/BurntSushi/toml"
	"github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"
)

//go:embed locales
var localeFiles embed.FS

// Languages the product speaks, in the order of the language switch.
var Languages = []string{"en", "hu"}

// Catalog is the message catalogue: go-i18n does loading, plural rules and
// templates; plain messages are also kept in a map for the hot path.
type Catalog struct {
	bundle     *i18n.Bundle
	localizers map[string]*i18n.Localizer
	plain      map[string]map[string]string // lang → ID → text, for messages without {{ }}
	ids        map[string][]string          // lang → sorted IDs
}

// catalog is immutable once loaded from the embedded files.
var catalog = mustLoadCatalog()

// TheCatalog returns the loaded catalogue (for tests and the CLI).
func TheCatalog() *Catalog { return catalog }

func mustLoadCatalog() *Catalog {
	b := i18n.NewBundle(language.English)
	b.RegisterUnmarshalFunc("toml", toml.Unmarshal)
	c := &Catalog{bundle: b, localizers: map[string]*i18n.Localizer{}, plain: map[string]map[string]string{}, ids: map[string][]string{}}
	// locales/<lang>/<area>.toml: one file per area of the product, so each
	// area's messages sit together; IDs must be unique across a language.
	for _, lang := range Languages {
		c.localizers[lang] = i18n.NewLocalizer(b, lang)
		c.plain[lang] = map[string]string{}
		files, err := fs.Glob(localeFiles, "locales/"+lang+"/*.toml")
		if err != nil || len(files) == 0 {
			panic(fmt.Sprintf("message catalogue %s: no files", lang))
		}
		seen := map[string]string{}
		for _, f := range files {
			data, err := fs.ReadFile(localeFiles, f)
			if err != nil {
				panic(err)
			}
			// go-i18n takes the language from the file name: <area>.<lang>.toml.
			mf, err := b.ParseMessageFileBytes(data, strings.TrimSuffix(f, ".toml")+"."+lang+".toml")
			if err != nil {
				panic(fmt.Sprintf("message catalogue %s: %v", f, err))
			}
			for _, m := range mf.Messages {
				if prev, dup := seen[m.ID]; dup {
					panic(fmt.Sprintf("message %s is in both %s and %s", m.ID, prev, f))
				}
				seen[m.ID] = f
				c.ids[lang] = append(c.ids[lang], m.ID)
				if !strings.Contains(m.Other, "{{") && m.One == "" {
					c.plain[lang][m.ID] = m.Other
				}
			}
		}
		sort.Strings(c.ids[lang])
	}
	return c
}

// IDs returns every message ID of a language.
func (c *Catalog) IDs(lang string) []string { return c.ids[lang] }

// Text returns the message in lang, filling {{.Name}} fields from data and
// choosing a plural form from data["Count"] when present. An unknown ID
// renders as itself so a missing message is visible, never a crash.
func (c *Catalog) Text(lang, id string, data map[string]any) string {
	if data == nil {
		if s, ok := c.plain[lang][id]; ok {
			return s
		}
	}
	l, ok := c.localizers[lang]
	if !ok {
		l = c.localizers["en"]
	}
	cfg := &i18n.LocalizeConfig{MessageID: id, TemplateData: data}
	if n, ok := data["Count"]; ok {
		cfg.PluralCount = n
	}
	s, err := l.Localize(cfg)
	if err != nil {
		return id
	}
	return s
}

// Has reports whether the catalogue has a message ID in lang.
func (c *Catalog) Has(lang, id string) bool {
	i := sort.SearchStrings(c.ids[lang], id)
	return i < len(c.ids[lang]) && c.ids[lang][i] == id
}

// matcher picks en or hu from an Accept-Language header.
var matcher = language.NewMatcher([]language.Tag{language.English, language.Hungarian})

// LangFromHeader returns "hu" or "en" for an Accept-Language header.
func LangFromHeader(h string) string {
	tags, _, err := language.ParseAcceptLanguage(h)
	if err != nil || len(tags) == 0 {
		return "en"
	}
	_, i, conf := matcher.Match(tags...)
	if conf == language.No {
		return "en"
	}
	return Languages[i]
}

// ValidLang reports whether lang is a language of the product.
func ValidLang(lang string) bool { return lang == "en" || lang == "hu" }
