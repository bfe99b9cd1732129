// Package static holds the stylesheet, script and images, embedded in the
// binary and served under content-hashed names so they can be cached forever.
package static

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"path"
	"strings"
)

//go:embed css js img
var files embed.FS

// FS is the embedded file tree.
var FS fs.FS = files

// hashed maps "css/app.css" to "css/app.3f2a9c1d.css" and back.
var hashed, unhashed = buildNames()

func buildNames() (map[string]string, map[string]string) {
	h, u := map[string]string{}, map[string]string{}
	_ = fs.WalkDir(files, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(files, p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		ext := path.Ext(p)
		name := strings.TrimSuffix(p, ext) + "." + hex.EncodeToString(sum[:])[:10] + ext
		h[p], u[name] = name, p
		return nil
	})
	return h, u
}

// URL returns the cache-busting URL of an embedded file, e.g. URL("css/app.css").
func URL(name string) string {
	if n, ok := hashed[name]; ok {
		return "/static/" + n
	}
	return "/static/" + name
}

// Resolve maps a hashed name back to the embedded file; ok is false for
// names that are not current (an old hash after a deploy).
func Resolve(name string) (string, bool) {
	p, ok := unhashed[name]
	return p, ok
}
