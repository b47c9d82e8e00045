package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync/atomic"
	"time"
)

// The gateway under test runs with what issue 11's bar names all on:
// metrics (always), traces exported to a collector, the journal (always),
// and a stored tenant and key each with rate limits and a hard budget, so
// every request takes admission and budget holds and settles them. --plain
// keeps issue 2's set-up: one config key, no limits, budgets or traces.

// benchAdminToken guards the gateway's admin listener during the run.
const benchAdminToken = "bench-admin-token-0123456789"

// Limits and budgets far above what a run uses: they must be checked and
// taken on every request, never refuse one.
const provisionTenant = `{"name":"bench","limits":{"rpm":10000000,"tpm":10000000000,"concurrent":100000},
 "budget":{"usd":"1000000","period":"month","hard":true}}`
const provisionKey = `{"name":"bench","limits":{"rpm":10000000,"tpm":10000000000,"concurrent":100000},
 "budget":{"usd":"1000000","period":"day","hard":true}}`

// provision creates the tenant and its key through the admin API and
// returns the key's secret.
func provision(adminAddr string) (string, error) {
	var tenant struct {
		ID string `json:"id"`
	}
	if err := adminPost(adminAddr, "/admin/v1/tenants", provisionTenant, &tenant); err != nil {
		return "", fmt.Errorf("provision tenant: %w", err)
	}
	var key struct {
		Key string `json:"key"`
	}
	if err := adminPost(adminAddr, "/admin/v1/tenants/"+tenant.ID+"/keys", provisionKey, &key); err != nil {
		return "", fmt.Errorf("provision key: %w", err)
	}
	if tenant.ID == "" || key.Key == "" {
		return "", fmt.Errorf("provision: the admin API answered no tenant id or key")
	}
	return key.Key, nil
}

func adminPost(addr, path, body string, into any) error {
	req, err := http.NewRequest(http.MethodPost, "http://"+addr+path, bytes.NewBufferString(body))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+benchAdminToken)
	req.Header.Set("Content-Type", "application/json")
	c := http.Client{Timeout: 10 * time.Second}
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusCreated {
		return fmt.Errorf("POST %s: HTTP %d: %.300s", path, resp.StatusCode, b)
	}
	return json.Unmarshal(b, into)
}

// otlpSink is the run's trace collector: it accepts OTLP/HTTP exports and
// counts them, so the gateway's exporter does its whole job (encoding and
// sending every span) without a real collector's CPU in the picture.
type otlpSink struct {
	srv     *http.Server
	url     string
	exports atomic.Int64
	bytes   atomic.Int64
}

func startSink() (*otlpSink, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &otlpSink{url: "http://" + ln.Addr().String()}
	s.srv = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, _ := io.Copy(io.Discard, r.Body)
		if r.URL.Path == "/v1/traces" {
			s.exports.Add(1)
			s.bytes.Add(n)
		}
		w.Header().Set("Content-Type", "application/x-protobuf")
		w.WriteHeader(http.StatusOK)
	}), ReadHeaderTimeout: 10 * time.Second}
	go s.srv.Serve(ln)
	return s, nil
}

func (s *otlpSink) close() { s.srv.Close() }
