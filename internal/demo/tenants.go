package demo

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"
)

// tenant is a demo tenant as the admin API made it, with a fresh key
// (keyID is its id, key the secret).
type tenant struct {
	id, name, plan, arm, key, keyID string
}

// openTenants creates the business's tenants and a key for each through
// the admin API, as an operator would. A tenant a previous run left in the
// same --data directory is reused, with a new key.
func openTenants(ctx context.Context, adminURL, token string, cs []customer) ([]tenant, error) {
	a := &adminClient{base: adminURL, token: token, c: &http.Client{Timeout: 10 * time.Second}}
	var out []tenant
	for _, d := range cs {
		var t struct {
			ID string `json:"id"`
		}
		body := map[string]any{"name": d.name, "plan": d.plan, "tags": []string{"demo"}}
		status, err := a.do(ctx, http.MethodPost, "/admin/v1/tenants", body, &t)
		if err != nil {
			return nil, fmt.Errorf("demo: create tenant %s: %w", d.name, err)
		}
		if status == http.StatusConflict {
			if t.ID, err = a.findTenant(ctx, d.name); err != nil {
				return nil, fmt.Errorf("demo: tenant %s: %w", d.name, err)
			}
		}
		var k struct {
			ID  string `json:"id"`
			Key string `json:"key"`
		}
		if _, err := a.do(ctx, http.MethodPost, "/admin/v1/tenants/"+t.ID+"/keys", map[string]any{"name": "demo"}, &k); err != nil {
			return nil, fmt.Errorf("demo: create a key for %s: %w", d.name, err)
		}
		out = append(out, tenant{id: t.ID, name: d.name, plan: d.plan, arm: d.arm, key: k.Key, keyID: k.ID})
	}
	return out, nil
}

type adminClient struct {
	base, token string
	c           *http.Client
}

// do sends a JSON request and decodes a 2xx answer into out. A 409 is
// returned as its status, for the caller to handle; other failures are
// errors.
func (a *adminClient) do(ctx context.Context, method, path string, body, out any) (int, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, a.base+path, rd)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+a.token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := a.c.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return 0, err
	}
	switch {
	case resp.StatusCode == http.StatusConflict:
		return resp.StatusCode, nil
	case resp.StatusCode/100 != 2:
		return resp.StatusCode, fmt.Errorf("%s %s: HTTP %d: %s", method, path, resp.StatusCode, bytes.TrimSpace(data))
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			return resp.StatusCode, fmt.Errorf("%s %s: %w", method, path, err)
		}
	}
	return resp.StatusCode, nil
}

// findTenant pages through the tenants for the one named name.
func (a *adminClient) findTenant(ctx context.Context, name string) (string, error) {
	cursor := ""
	for {
		var page struct {
			Data []struct {
				ID   string `json:"id"`
				Name string `json:"name"`
			} `json:"data"`
			Next string `json:"next_cursor"`
		}
		path := "/admin/v1/tenants?limit=100"
		if cursor != "" {
			path += "&cursor=" + cursor
		}
		if _, err := a.do(ctx, http.MethodGet, path, nil, &page); err != nil {
			return "", err
		}
		for _, t := range page.Data {
			if t.Name == name {
				return t.ID, nil
			}
		}
		if page.Next == "" {
			return "", fmt.Errorf("exists but is not listed")
		}
		cursor = page.Next
	}
}
