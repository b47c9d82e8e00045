package config

import (
	"reflect"
	"testing"
	"time"
)

func TestSetDefaults(t *testing.T) {
	c := &Config{
		Providers: []Provider{
			{Name: "oa", Type: TypeOpenAI},
			{Name: "az", Type: TypeAzure, BaseURL: "https://x.openai.azure.com//"},
			{Name: "own", Type: TypeOpenAICompatible, BaseURL: "http://127.0.0.1:8000/v1/", Timeouts: Timeouts{Connect: Duration(time.Second)}},
		},
		Models: []Model{{Name: "m", Deployments: []Deployment{
			{Provider: "oa", Model: "gpt", Price: Price{Input: 150, Output: 600}},
			{Name: "mine", Provider: "az", Model: "gpt", Priority: 3, Weight: 7,
				Price: Price{Input: 150, CachedInput: 75, Output: 600, Set: PriceFields{CacheWrite: true, Reasoning: true}}},
			{Provider: "own", Model: "gpt", PrioritySet: true, WeightSet: true},
		}}},
	}
	c.SetDefaults()
	check := func() {
		t.Helper()
		d := c.Models[0].Deployments
		for _, tc := range []struct {
			name      string
			got, want any
		}{
			{"listen", c.Listen, "127.0.0.1:8080"},
			{"admin.listen", c.Admin.Listen, "127.0.0.1:8081"},
			{"data_dir", c.DataDir, "./switchyard-data"},
			{"max_body_bytes", c.Server.MaxBodyBytes, 32 * MiB},
			{"read_header_timeout", c.Server.ReadHeaderTimeout.D(), 10 * time.Second},
			{"body_read_timeout", c.Server.BodyReadTimeout.D(), 60 * time.Second},
			{"idle_timeout", c.Server.IdleTimeout.D(), 120 * time.Second},
			{"max_header_bytes", c.Server.MaxHeaderBytes, 64 * KiB},
			{"max_connections", c.Server.MaxConnections, 10000},
			{"max_in_flight", c.Server.MaxInFlight, 4096},
			{"drain_delay", c.Server.DrainDelay.D(), time.Duration(0)},
			{"shutdown_grace", c.Server.ShutdownGrace.D(), 30 * time.Second},
			{"log.level", c.Log.Level, "info"},
			{"log.format", c.Log.Format, "text"},
			{"openai base_url", c.Providers[0].BaseURL, "https://api.openai.com/v1"},
			{"openai auth", c.Providers[0].Auth, ""},
			{"azure base_url", c.Providers[1].BaseURL, "https://x.openai.azure.com"},
			{"azure auth", c.Providers[1].Auth, AuthAPIKey},
			{"compat base_url", c.Providers[2].BaseURL, "http://127.0.0.1:8000/v1"},
			{"timeouts", c.Providers[0].Timeouts, Timeouts{Connect: Duration(5 * time.Second), FirstByte: Duration(60 * time.Second), Response: Duration(10 * time.Minute), Idle: Duration(5 * time.Minute)}},
			{"timeouts given", c.Providers[2].Timeouts.Connect.D(), time.Second},
			{"routing", c.Models[0].Routing, RoutePriority},
			{"name", d[0].Name, "oa/gpt"},
			{"name given", d[1].Name, "mine"},
			{"priority", d[0].Priority, 1},
			{"weight", d[0].Weight, 1},
			{"priority given", d[1].Priority, 3},
			{"weight given", d[1].Weight, 7},
			{"explicit priority 0", d[2].Priority, 0},
			{"explicit weight 0 (Validate rejects it)", d[2].Weight, 0},
			{"price defaults", d[0].Price, Price{Input: 150, CachedInput: 150, CacheWrite: 150, Output: 600, Reasoning: 600}},
			{"prices given", d[1].Price, Price{Input: 150, CachedInput: 75, CacheWrite: 0, Output: 600, Reasoning: 0,
				Set: PriceFields{CacheWrite: true, Reasoning: true}}},
		} {
			if !reflect.DeepEqual(tc.got, tc.want) {
				t.Errorf("%s = %v, want %v", tc.name, tc.got, tc.want)
			}
		}
	}
	check()
	c.SetDefaults() // idempotent
	check()
}

// TestDefaultsFromYAML checks the omitted/explicit-zero distinction through
// Parse.
func TestDefaultsFromYAML(t *testing.T) {
	c, err := Parse("test.yaml", []byte(doc(lineKeys, lineProviders,
		`models: [{name: m, deployments: [`,
		`  {provider: oa, model: a, priority: 0, price: {input: "1", output: "2", cached_input: "0", reasoning: 0}},`,
		`  {provider: oa, model: b, price: {input: "1", output: "2"}}]}]`,
		"server: {drain_delay: 0}",
	)), env())
	if err != nil {
		t.Fatal(err)
	}
	a, b := c.Models[0].Deployments[0], c.Models[0].Deployments[1]
	if a.Priority != 0 || b.Priority != 1 {
		t.Errorf("priorities = %d, %d; want 0 (explicit), 1 (default)", a.Priority, b.Priority)
	}
	if a.Price.CachedInput != 0 || a.Price.CacheWrite != 1000 || a.Price.Reasoning != 0 {
		t.Errorf("explicit zero prices = %+v", a.Price)
	}
	if b.Price.CachedInput != 1000 || b.Price.CacheWrite != 1000 || b.Price.Reasoning != 2000 {
		t.Errorf("default prices = %+v", b.Price)
	}
}
