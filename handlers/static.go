package handlers

import (
	"io/fs"
	"mime"
	"net/http"
	"path"

	"github.com/labstack/echo/v4"

	"cpor/static"
)

// serveStatic serves embedded files under their content-hashed names with a
// one-year immutable cache; an unknown or outdated name is 404.
func serveStatic(c echo.Context) error {
	name, ok := static.Resolve(c.Param("*"))
	if !ok {
		return echo.ErrNotFound
	}
	b, err := fs.ReadFile(static.FS, name)
	if err != nil {
		return echo.ErrNotFound
	}
	h := c.Response().Header()
	h.Set("Cache-Control", "public, max-age=31536000, immutable")
	ct := mime.TypeByExtension(path.Ext(name))
	if ct == "" {
		ct = "application/octet-stream"
	}
	return c.Blob(http.StatusOK, ct, b)
}
