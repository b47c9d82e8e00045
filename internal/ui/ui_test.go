package ui

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// The shell and its assets are served with the types a browser needs to run
// them under the page's CSP (a module script served as text/plain would not run).
func TestHandlerServesShellAndAssets(t *testing.T) {
	srv := httptest.NewServer(http.StripPrefix("", Handler()))
	defer srv.Close()
	for _, tc := range []struct{ path, ctype, contains string }{
		{"/ui/", "text/html; charset=utf-8", `<script type="module" src="js/app.js">`},
		{"/ui/index.html", "", ""}, // FileServer redirects index.html to the directory
		{"/ui/app.css", "text/css; charset=utf-8", "--c0: #0072B2"},
		{"/ui/js/app.js", "text/javascript; charset=utf-8", "REFRESH_MS"},
		{"/ui/js/api.js", "text/javascript; charset=utf-8", "Authorization: 'Bearer '"},
		{"/ui/vendor/uPlot.iife.min.js", "text/javascript; charset=utf-8", "uPlot"},
		{"/ui/vendor/uPlot.min.css", "text/css; charset=utf-8", ".uplot"},
	} {
		t.Run(tc.path, func(t *testing.T) {
			resp, err := srv.Client().Get(srv.URL + tc.path)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d", resp.StatusCode)
			}
			if tc.ctype != "" && resp.Header.Get("Content-Type") != tc.ctype {
				t.Errorf("Content-Type %q, want %q", resp.Header.Get("Content-Type"), tc.ctype)
			}
			if !strings.Contains(string(body), tc.contains) {
				t.Errorf("body lacks %q", tc.contains)
			}
			if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") {
				t.Errorf("CSP %q does not restrict scripts to this origin", csp)
			}
			if resp.Header.Get("X-Content-Type-Options") != "nosniff" {
				t.Error("no X-Content-Type-Options: nosniff")
			}
		})
	}
	for _, path := range []string{"/ui/nope.js", "/ui/js/", "/ui/vendor/"} {
		resp, err := srv.Client().Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("%s: %d, want 404 (no file, no listing)", path, resp.StatusCode)
		}
	}
}

// No page may carry inline script or load anything from another origin:
// the dashboard works offline and under a strict CSP.
func TestNoInlineScriptOrRemoteAsset(t *testing.T) {
	b, err := static.ReadFile("static/index.html")
	if err != nil {
		t.Fatal(err)
	}
	html := string(b)
	for _, bad := range []string{"<script>", "http://", "https://", " onclick=", " onload=", "style=\""} {
		if strings.Contains(html, bad) {
			t.Errorf("index.html contains %q", bad)
		}
	}
}
