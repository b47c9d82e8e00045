package gateway_test

import (
	"context"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/azure"
	"github.com/openai/openai-go/v3/option"
	"github.com/switchyard/switchyard/internal/config"
	"github.com/switchyard/switchyard/internal/emulate"
	"github.com/switchyard/switchyard/internal/gateway"
)

const testKey = "sk-sy-test-0123456789abcdef"

// startEmu runs an emulated cloud for the test.
func startEmu(t *testing.T, kind emulate.Kind, k emulate.Knobs) *emulate.Server {
	t.Helper()
	s, err := emulate.Listen(kind, "127.0.0.1:0", k)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// providerFor is the provider config that reaches an emulator.
func providerFor(name string, kind emulate.Kind, url string) config.Provider {
	switch kind {
	case emulate.Azure:
		return config.Provider{Name: name, Type: config.TypeAzure, BaseURL: url, APIKey: "azure-key", APIVersion: "2024-10-21"}
	default:
		return config.Provider{Name: name, Type: config.TypeOpenAI, BaseURL: url + "/v1", APIKey: "openai-key"}
	}
}

// baseConfig is a config with the test key and the given providers and models.
func baseConfig(providers []config.Provider, models ...config.Model) *config.Config {
	return &config.Config{
		Listen:    "127.0.0.1:0",
		Keys:      []config.Key{{Name: "test", Key: testKey}},
		Providers: providers,
		Models:    models,
	}
}

// startGateway validates cfg, starts the gateway and waits until it is ready.
func startGateway(t *testing.T, cfg *config.Config) *gateway.Gateway {
	t.Helper()
	isolate(t, cfg)
	cfg.SetDefaults()
	if err := cfg.Validate(); err != nil {
		t.Fatalf("config: %v", err)
	}
	g, err := gateway.New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := g.Listen(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- g.Serve() }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		g.Shutdown(ctx)
		<-done
	})
	waitReady(t, "http://"+g.Addr())
	return g
}

// isolate gives a test gateway its own data directory and a free admin
// port, so tests run in parallel and leave nothing behind.
func isolate(t testing.TB, cfg *config.Config) {
	// Tests that called SetDefaults first got the default directory, which
	// would be shared by every test and left in the source tree.
	if cfg.DataDir == "" || cfg.DataDir == config.DefaultDataDir {
		cfg.DataDir = t.TempDir()
	}
	if cfg.Admin.Listen == "" || cfg.Admin.Listen == config.DefaultAdminListen {
		cfg.Admin.Listen = "127.0.0.1:0"
	}
	// A deployment must say its price; tests that do not care about money
	// get $1 in and $2 out per million tokens.
	for i := range cfg.Models {
		for j := range cfg.Models[i].Deployments {
			p := &cfg.Models[i].Deployments[j].Price
			if p.Input == 0 && p.Output == 0 && !p.Unpriced && p.Versions == nil && p.LongContext == nil {
				p.Input, p.Output = testInputPrice, testOutputPrice
			}
		}
	}
}

// The price of deployments whose test does not set one, in nano-dollars per
// token.
const (
	testInputPrice  = 1000
	testOutputPrice = 2000
)

func waitReady(t *testing.T, base string) {
	t.Helper()
	for i := 0; i < 200; i++ {
		resp, err := http.Get(base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("gateway never became ready")
}

// client is the official OpenAI SDK pointed at the gateway, without retries so
// every failover the test sees is the gateway's own.
func client(g *gateway.Gateway, opts ...option.RequestOption) openai.Client {
	return openai.NewClient(append([]option.RequestOption{
		option.WithBaseURL(g.URL()), option.WithAPIKey(testKey), option.WithMaxRetries(0),
	}, opts...)...)
}

// direct is the official SDK pointed straight at an emulator, in the cloud's
// own mode (Azure: the SDK's Azure client).
func direct(kind emulate.Kind, url string) openai.Client {
	if kind == emulate.Azure {
		return openai.NewClient(azure.WithEndpoint(url, "2024-10-21"), azure.WithAPIKey("azure-key"),
			azure.WithUnsafeAllowHTTP(), option.WithMaxRetries(0))
	}
	return openai.NewClient(option.WithBaseURL(url+"/v1"), option.WithAPIKey("openai-key"), option.WithMaxRetries(0))
}

// closedPort returns a loopback address nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func deployment(provider, native string) config.Deployment {
	return config.Deployment{Provider: provider, Model: native}
}
