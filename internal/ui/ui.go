// Package ui serves the admin dashboard: static pages embedded in the binary that read the admin API with the admin token.
package ui

import (
	"embed"
	"io/fs"
	"net/http"
	"strings"
)

// static holds the pages, scripts, styles and the vendored chart library
// (ui/vendor.sh copies it here from npm; it is committed, so building needs
// no network).
//
//go:embed static
var static embed.FS

// Prefix is where the dashboard is mounted on the admin listener.
const Prefix = "/ui/"

// Handler serves the dashboard under Prefix. The shell loads without a
// token: it holds no data. Every number on it comes from /admin/v1 calls
// that carry the token the operator typed, kept in sessionStorage, so the
// token never appears in a URL, a log line or the page's source.
func Handler() http.Handler {
	sub, err := fs.Sub(static, "static")
	if err != nil {
		panic(err) // the embed pattern guarantees the directory
	}
	files := http.StripPrefix(strings.TrimSuffix(Prefix, "/"), http.FileServerFS(sub))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		// Scripts only from this origin, no inline code, no framing: a page
		// that holds an admin token in session storage must not run anyone
		// else's script.
		h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		// Revalidate each load: the files change with the binary, and the
		// embedded FS serves no modification time to compare against.
		h.Set("Cache-Control", "no-cache")
		// Only the shell is a directory page; no listings of the rest.
		if strings.HasSuffix(r.URL.Path, "/") && r.URL.Path != Prefix {
			http.NotFound(w, r)
			return
		}
		files.ServeHTTP(w, r)
	})
}
