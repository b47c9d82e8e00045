package provider

import (
	"net"
	"net/http"
	"time"

	"github.com/switchyard/switchyard/internal/config"
)

// newTransport returns the connection pool one provider's requests share.
//
// The defaults of http.DefaultTransport keep only two idle connections per
// host, which at a few hundred requests per second means a new TCP (and TLS)
// handshake for most requests. A gateway talks to few hosts at high rates, so
// it keeps many idle connections per host instead.
func newTransport(t config.Timeouts) *http.Transport {
	connect := t.Connect.D()
	if connect <= 0 {
		connect = 5 * time.Second
	}
	d := &net.Dialer{Timeout: connect, KeepAlive: 30 * time.Second}
	return &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           d.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          0, // no global cap; the per-host cap below bounds it
		MaxIdleConnsPerHost:   1024,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   connect,
		ExpectContinueTimeout: time.Second,
		// Upstream bodies are relayed as they come; compression would only cost
		// CPU on both ends of a datacenter link and break byte-level scanning.
		DisableCompression: true,
	}
}

// newClient returns the HTTP client for one provider. It never follows
// redirects: a redirect would carry the provider's credentials to wherever it
// points (and net/http turns a redirected POST into a GET). The gateway treats
// a 3xx as a misconfigured deployment instead.
func newClient(t config.Timeouts) *http.Client {
	return &http.Client{
		Transport:     newTransport(t),
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// setHeaders adds the configured extra headers to h.
func setHeaders(h http.Header, extra map[string]string) {
	for k, v := range extra {
		h.Set(k, v)
	}
}
