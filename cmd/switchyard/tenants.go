package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
)

// The tenants and keys commands call the admin API of a running gateway.

// adminClient is the admin API as the CLI calls it.
type adminClient struct {
	base, token string
	json        bool
	http        *http.Client
}

func (c *adminClient) register(cmd *cobra.Command) {
	fl := cmd.PersistentFlags()
	fl.StringVar(&c.base, "admin", envOr("SWITCHYARD_ADMIN_URL", "http://127.0.0.1:8081"), "the gateway's admin listener (or $SWITCHYARD_ADMIN_URL)")
	fl.StringVar(&c.token, "token", "", "admin token (default $SWITCHYARD_ADMIN_TOKEN)")
	fl.BoolVar(&c.json, "json", false, "print the API's JSON answer instead of a table")
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// call sends body (nil for none) and decodes a 2xx answer into out; other
// answers become an error carrying the API's message.
func (c *adminClient) call(method, path string, body any, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, strings.TrimSuffix(c.base, "/")+path, rd)
	if err != nil {
		return err
	}
	tok := c.token
	if tok == "" {
		tok = os.Getenv("SWITCHYARD_ADMIN_TOKEN")
	}
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	hc := c.http
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	resp, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("admin API at %s: %w", c.base, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode/100 != 2 {
		var e struct {
			Error struct{ Message string } `json:"error"`
		}
		if json.Unmarshal(b, &e) == nil && e.Error.Message != "" {
			return fmt.Errorf("%s %s: %d: %s", method, path, resp.StatusCode, e.Error.Message)
		}
		return fmt.Errorf("%s %s: %s", method, path, resp.Status)
	}
	return json.Unmarshal(b, out)
}

// settingFlags are the limit and budget flags tenants and keys share.
type settingFlags struct {
	rpm, tpm, concurrent           int64
	budgetUSD, period, tz          string
	hard                           bool
	models, providers, regions     []string
	tags, meta                     []string
	plan, name, expiresIn, expires string
}

func (s *settingFlags) register(cmd *cobra.Command, tenant bool) {
	fl := cmd.Flags()
	fl.Int64Var(&s.rpm, "rpm", 0, "requests per minute (0: none)")
	fl.Int64Var(&s.tpm, "tpm", 0, "tokens per minute (0: none)")
	fl.Int64Var(&s.concurrent, "concurrent", 0, "requests in flight (0: none)")
	fl.StringVar(&s.budgetUSD, "budget", "", `budget in dollars, such as "100.00" ("0" removes it)`)
	fl.StringVar(&s.period, "period", "month", "budget period: day, week, month, rolling:Nd or lifetime")
	fl.StringVar(&s.tz, "tz", "", "time zone of calendar budget periods (default UTC)")
	fl.BoolVar(&s.hard, "hard", false, "refuse requests past the budget (default: alert only)")
	fl.StringSliceVar(&s.models, "allowed-models", nil, "models it may use (comma-separated; default all)")
	if tenant {
		fl.StringSliceVar(&s.providers, "allowed-providers", nil, "providers its requests may reach")
		fl.StringSliceVar(&s.regions, "allowed-regions", nil, "regions its requests may reach")
		fl.StringSliceVar(&s.tags, "tag", nil, "tags (repeatable)")
		fl.StringSliceVar(&s.meta, "meta", nil, "metadata as key=value (repeatable)")
		fl.StringVar(&s.plan, "plan", "", "plan id")
		fl.StringVar(&s.name, "name", "", "new name (update)")
	} else {
		fl.StringVar(&s.expiresIn, "expires-in", "", `expire after this long, such as "720h"`)
		fl.StringVar(&s.expires, "expires-at", "", "expire at this RFC 3339 time")
	}
}

// body is the API body for the flags the user set: on update, flags left
// alone leave their fields alone.
func (s *settingFlags) body(cmd *cobra.Command) (map[string]any, error) {
	fl := cmd.Flags()
	b := map[string]any{}
	set := fl.Changed
	if set("rpm") || set("tpm") || set("concurrent") {
		b["limits"] = map[string]int64{"rpm": s.rpm, "tpm": s.tpm, "concurrent": s.concurrent}
	}
	if set("budget") {
		if s.budgetUSD == "0" {
			b["budget"] = nil
		} else {
			b["budget"] = map[string]any{"usd": s.budgetUSD, "period": s.period, "tz": s.tz, "hard": s.hard}
		}
	} else if set("period") || set("tz") || set("hard") {
		return nil, errors.New("--period, --tz and --hard need --budget")
	}
	for flag, field := range map[string]string{"allowed-models": "allowed_models", "allowed-providers": "allowed_providers",
		"allowed-regions": "allowed_regions", "tag": "tags"} {
		if set(flag) {
			v, _ := fl.GetStringSlice(flag)
			b[field] = v
		}
	}
	if set("meta") {
		md := map[string]string{}
		for _, kv := range s.meta {
			k, v, ok := strings.Cut(kv, "=")
			if !ok {
				return nil, fmt.Errorf("--meta %q: want key=value", kv)
			}
			md[k] = v
		}
		b["metadata"] = md
	}
	if set("plan") {
		b["plan"] = s.plan
	}
	if set("name") {
		b["name"] = s.name
	}
	if set("expires-in") {
		b["expires_in"] = s.expiresIn
	}
	if set("expires-at") {
		b["expires_at"] = s.expires
	}
	return b, nil
}

// apiTenant and apiKey are the fields the tables show.
type apiTenant struct {
	ID, Name, Status, Plan string
	Limits                 struct{ RPM, TPM, Concurrent int64 }
	Budget                 *struct {
		USD, Period string
		Hard        bool
	}
}

type apiKey struct {
	ID, Key, Name, Prefix, Status string
	TenantID                      string     `json:"tenant_id"`
	ExpiresAt                     *time.Time `json:"expires_at"`
	LastUsedAt                    *time.Time `json:"last_used_at"`
	PreviousValidUntil            *time.Time `json:"previous_valid_until"`
	Limits                        struct{ RPM, TPM, Concurrent int64 }
}

func (c *adminClient) print(w io.Writer, raw json.RawMessage, table func(*tabwriter.Writer) error) error {
	if c.json {
		var v any
		if err := json.Unmarshal(raw, &v); err != nil {
			return err
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	if err := table(tw); err != nil {
		return err
	}
	return tw.Flush()
}

func limitCell(n int64) string {
	if n == 0 {
		return "-"
	}
	return fmt.Sprint(n)
}

func tenantRows(tw *tabwriter.Writer, ts []apiTenant) {
	fmt.Fprintln(tw, "ID\tNAME\tSTATUS\tRPM\tTPM\tCONCURRENT\tBUDGET")
	for _, t := range ts {
		bud := "-"
		if t.Budget != nil {
			bud = "$" + t.Budget.USD + "/" + t.Budget.Period
			if t.Budget.Hard {
				bud += " hard"
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", t.ID, t.Name, t.Status, limitCell(t.Limits.RPM), limitCell(t.Limits.TPM), limitCell(t.Limits.Concurrent), bud)
	}
}

func timeCell(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}

func keyRows(tw *tabwriter.Writer, ks []apiKey) {
	fmt.Fprintln(tw, "ID\tNAME\tPREFIX\tSTATUS\tRPM\tEXPIRES\tLAST USED")
	for _, k := range ks {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", k.ID, k.Name, k.Prefix, k.Status, limitCell(k.Limits.RPM), timeCell(k.ExpiresAt), timeCell(k.LastUsedAt))
	}
}

// listAll follows the cursors to the end.
func (c *adminClient) listAll(path string) (json.RawMessage, []json.RawMessage, error) {
	var all []json.RawMessage
	cursor := ""
	for {
		var page struct {
			Data       []json.RawMessage `json:"data"`
			NextCursor string            `json:"next_cursor"`
		}
		if err := c.call("GET", path+"?limit=1000&cursor="+url.QueryEscape(cursor), nil, &page); err != nil {
			return nil, nil, err
		}
		all = append(all, page.Data...)
		if page.NextCursor == "" {
			break
		}
		cursor = page.NextCursor
	}
	if all == nil {
		all = []json.RawMessage{}
	}
	raw, err := json.Marshal(map[string]any{"data": all})
	return raw, all, err
}

func decodeAll[T any](items []json.RawMessage) ([]T, error) {
	out := make([]T, 0, len(items))
	for _, it := range items {
		var v T
		if err := json.Unmarshal(it, &v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// one runs a call answering one tenant or key and prints it.
func (c *adminClient) one(cmd *cobra.Command, method, path string, body any, tenant bool) error {
	var raw json.RawMessage
	if err := c.call(method, path, body, &raw); err != nil {
		return err
	}
	w := cmd.OutOrStdout()
	return c.print(w, raw, func(tw *tabwriter.Writer) error {
		if tenant {
			var t apiTenant
			if err := json.Unmarshal(raw, &t); err != nil {
				return err
			}
			tenantRows(tw, []apiTenant{t})
			return nil
		}
		var k apiKey
		if err := json.Unmarshal(raw, &k); err != nil {
			return err
		}
		keyRows(tw, []apiKey{k})
		if k.Key != "" {
			tw.Flush()
			fmt.Fprintf(w, "\nkey: %s\nThis is the only time the key is shown: store it now.\n", k.Key)
		}
		if k.PreviousValidUntil != nil {
			fmt.Fprintf(w, "The previous secret works until %s.\n", timeCell(k.PreviousValidUntil))
		}
		return nil
	})
}

func tenantsCmd() *cobra.Command {
	var c adminClient
	cmd := &cobra.Command{
		Use:   "tenants",
		Short: "Create, list, show, update and disable tenants (calls the admin API)",
		Long: `Manage tenants through a running gateway's admin API (--admin, default
http://127.0.0.1:8081; token from --token or $SWITCHYARD_ADMIN_TOKEN).`,
	}
	c.register(cmd)
	var s settingFlags
	create := &cobra.Command{
		Use:     "create NAME",
		Short:   "Create a tenant",
		Example: `  switchyard tenants create acme --budget 100.00 --period month --hard --rpm 600 --tpm 100000`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			b, err := s.body(cmd)
			if err != nil {
				return err
			}
			b["name"] = args[0]
			return c.one(cmd, "POST", "/admin/v1/tenants", b, true)
		},
	}
	s.register(create, true)
	var u settingFlags
	update := &cobra.Command{
		Use:     "update ID",
		Short:   "Change a tenant's settings (only the flags given)",
		Example: `  switchyard tenants update t_06h5… --rpm 1200 --budget 0`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			b, err := u.body(cmd)
			if err != nil {
				return err
			}
			return c.one(cmd, "PATCH", "/admin/v1/tenants/"+url.PathEscape(args[0]), b, true)
		},
	}
	u.register(update, true)
	list := &cobra.Command{
		Use:   "list",
		Short: "List tenants",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			raw, items, err := c.listAll("/admin/v1/tenants")
			if err != nil {
				return err
			}
			return c.print(cmd.OutOrStdout(), raw, func(tw *tabwriter.Writer) error {
				ts, err := decodeAll[apiTenant](items)
				tenantRows(tw, ts)
				return err
			})
		},
	}
	show := &cobra.Command{
		Use: "show ID", Short: "Show a tenant", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return c.one(cmd, "GET", "/admin/v1/tenants/"+url.PathEscape(args[0]), nil, true)
		},
	}
	disable := &cobra.Command{
		Use: "disable ID", Short: "Disable a tenant: its keys are refused until it is enabled", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return c.one(cmd, "POST", "/admin/v1/tenants/"+url.PathEscape(args[0])+"/disable", nil, true)
		},
	}
	enable := &cobra.Command{
		Use: "enable ID", Short: "Enable a disabled tenant", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return c.one(cmd, "POST", "/admin/v1/tenants/"+url.PathEscape(args[0])+"/enable", nil, true)
		},
	}
	cmd.AddCommand(create, list, show, update, disable, enable)
	return cmd
}

func keysCmd() *cobra.Command {
	var c adminClient
	cmd := &cobra.Command{
		Use:   "keys",
		Short: "Create, list, rotate and revoke tenants' client keys (calls the admin API)",
		Long: `Manage client keys through a running gateway's admin API (--admin, default
http://127.0.0.1:8081; token from --token or $SWITCHYARD_ADMIN_TOKEN). A key's
secret is printed once, when it is created or rotated.`,
	}
	c.register(cmd)
	var s settingFlags
	var name string
	create := &cobra.Command{
		Use:     "create TENANT_ID --name NAME",
		Short:   "Create a key for a tenant and print its secret (once)",
		Example: `  switchyard keys create t_06h5… --name ci --rpm 60 --expires-in 720h`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			b, err := s.body(cmd)
			if err != nil {
				return err
			}
			b["name"] = name
			return c.one(cmd, "POST", "/admin/v1/tenants/"+url.PathEscape(args[0])+"/keys", b, false)
		},
	}
	s.register(create, false)
	create.Flags().StringVar(&name, "name", "", "the key's name (required)")
	create.MarkFlagRequired("name")
	list := &cobra.Command{
		Use: "list TENANT_ID", Short: "List a tenant's keys (never their secrets)", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			raw, items, err := c.listAll("/admin/v1/tenants/" + url.PathEscape(args[0]) + "/keys")
			if err != nil {
				return err
			}
			return c.print(cmd.OutOrStdout(), raw, func(tw *tabwriter.Writer) error {
				ks, err := decodeAll[apiKey](items)
				keyRows(tw, ks)
				return err
			})
		},
	}
	var grace string
	rotate := &cobra.Command{
		Use:   "rotate KEY_ID",
		Short: "Give a key a new secret (same id, limits, budget and history); the old one works for --grace",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return c.one(cmd, "POST", "/admin/v1/keys/"+url.PathEscape(args[0])+"/rotate", map[string]string{"grace": grace}, false)
		},
	}
	rotate.Flags().StringVar(&grace, "grace", "24h", "how long the old secret keeps working")
	revoke := &cobra.Command{
		Use: "revoke KEY_ID", Short: "Revoke a key: refused from then on, on every replica within a second", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return c.one(cmd, "POST", "/admin/v1/keys/"+url.PathEscape(args[0])+"/revoke", nil, false)
		},
	}
	cmd.AddCommand(create, list, rotate, revoke)
	return cmd
}
