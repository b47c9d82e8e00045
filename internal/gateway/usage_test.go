package gateway_test

import (
	"bytes"
	"context"
	"encoding/json"
	"github.com/switchyard/switchyard/internal/ledger"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/switchyard/switchyard/internal/config"
	"github.com/switchyard/switchyard/internal/emulate"
	"github.com/switchyard/switchyard/internal/gateway"
	"github.com/switchyard/switchyard/internal/money"
	"github.com/switchyard/switchyard/internal/report"
	"github.com/switchyard/switchyard/internal/store"
)

// adminGet fetches path from the admin listener with the token (if any).
func adminGet(t *testing.T, g *gateway.Gateway, path, token string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", "http://"+g.AdminAddr()+path, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// eventually retries f until it returns true or 10 s pass: the store trails
// the journal by a batch interval.
func eventually(t *testing.T, what string, f func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if f() {
			return
		}
	}
	t.Fatalf("%s: not within 10s", what)
}

// TestUsageReachesTheStore: requests through the official SDK, whole and
// streamed, land in the store once each, priced at the deployment's rates,
// with the tokens the cloud billed; the admin API shows them by request id
// and grouped, and refuses callers without the token.
func TestUsageReachesTheStore(t *testing.T) {
	const token = "admin-secret-token"
	emu := startEmu(t, emulate.OpenAI, emulate.Knobs{})
	cfg := baseConfig([]config.Provider{providerFor("cloud", emulate.OpenAI, emu.URL)},
		config.Model{Name: "chat", Deployments: []config.Deployment{deployment("cloud", "native-model")}})
	cfg.Admin.Token = token
	g := startGateway(t, cfg)
	gw := client(g)
	ctx := context.Background()

	p := openai.ChatCompletionNewParams{Model: "chat", MaxTokens: openai.Int(20),
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("Tell me about rail yards.")}}
	var ids []string
	var hdr *http.Response
	if _, err := gw.Chat.Completions.New(ctx, p, option.WithResponseInto(&hdr)); err != nil {
		t.Fatal(err)
	}
	ids = append(ids, hdr.Header.Get("x-switchyard-request-id"))
	s := gw.Chat.Completions.NewStreaming(ctx, p, option.WithResponseInto(&hdr))
	for s.Next() {
	}
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	ids = append(ids, hdr.Header.Get("x-switchyard-request-id"))
	billed := emu.Billed()

	if code, _ := adminGet(t, g, "/admin/v1/usage", ""); code != 401 {
		t.Errorf("usage without the admin token: %d, want 401", code)
	}
	if code, _ := adminGet(t, g, "/admin/v1/usage", "wrong"); code != 401 {
		t.Errorf("usage with a wrong token: %d, want 401", code)
	}

	var total int64
	for _, id := range ids {
		var got struct{ Events []report.Event }
		eventually(t, "event "+id+" in the store", func() bool {
			code, body := adminGet(t, g, "/admin/v1/events?request_id="+id, token)
			json.Unmarshal([]byte(body), &got)
			return code == 200 && len(got.Events) == 1
		})
		e := got.Events[0]
		want := money.Price(testInputPrice).Cost(e.Usage.Prompt) + money.Price(testOutputPrice).Cost(e.Usage.Completion)
		if e.Outcome != "completed" || e.Source != "reported" || e.Deployment != "cloud/native-model" || e.KeyName != "test" ||
			e.Model != "chat" || e.CostNanos != int64(want) || e.PriceVersion == "" || e.Usage.Prompt == 0 {
			t.Errorf("event %+v: want completed, reported, priced at %d nanos with a price version", e, want)
		}
		total += e.Usage.Prompt + e.Usage.Completion
	}
	if total != billed.InputTokens+billed.OutputTokens {
		t.Errorf("store has %d tokens, the cloud billed %d", total, billed.InputTokens+billed.OutputTokens)
	}

	code, body := adminGet(t, g, "/admin/v1/usage?group_by=deployment,key", token)
	var rep struct {
		Rows []store.UsageRow
	}
	if err := json.Unmarshal([]byte(body), &rep); code != 200 || err != nil || len(rep.Rows) != 1 {
		t.Fatalf("usage: %d %s", code, body)
	}
	r := rep.Rows[0]
	if r.Group["deployment"] != "cloud/native-model" || r.Group["key_name"] != "test" || r.Attempts != 2 || r.Completed != 2 ||
		r.Reported.Prompt != billed.InputTokens || r.Reported.Completion != billed.OutputTokens || r.Estimated != (store.Tokens{}) {
		t.Errorf("usage row %+v, cloud billed %+v", r, billed)
	}
	code, body = adminGet(t, g, "/admin/v1/usage?group_by=model&format=csv", token)
	if lines := strings.Split(strings.TrimSpace(body), "\n"); code != 200 || len(lines) != 2 || !strings.HasPrefix(lines[0], "model,attempts") {
		t.Errorf("csv: %d %q", code, body)
	}
	if code, body := adminGet(t, g, "/admin/v1/usage?group_by=colour", token); code != 400 || !strings.Contains(body, "colour") {
		t.Errorf("bad group_by: %d %s", code, body)
	}
}

// TestRestartKeepsPacing: a spend commitment's drawdown after a restart
// equals what it was before, read back from the store.
func TestRestartKeepsPacing(t *testing.T) {
	emu := startEmu(t, emulate.OpenAI, emulate.Knobs{})
	dir := t.TempDir()
	mk := func() *config.Config {
		cfg := baseConfig([]config.Provider{providerFor("cloud", emulate.OpenAI, emu.URL)},
			config.Model{Name: "chat", Deployments: []config.Deployment{deployment("cloud", "native-model")}})
		cfg.DataDir = dir
		cfg.Commitments = []config.Commitment{{Name: "macc", Provider: "cloud", Kind: config.CommitSpend, Amount: 1000 * money.PerDollar,
			Start: time.Now().Add(-24 * time.Hour).Truncate(time.Hour), End: time.Now().Add(24 * time.Hour).Truncate(time.Hour)}}
		return cfg
	}
	drawn := func(g *gateway.Gateway) money.Nanos {
		k := g.Routes.Contracts()[0]
		s := k.Stats(time.Now())
		return k.Amount - s.Left + s.Spent
	}

	g := startGateway(t, mk())
	gw := client(g)
	for range 5 {
		if _, err := gw.Chat.Completions.New(context.Background(), openai.ChatCompletionNewParams{Model: "chat", MaxTokens: openai.Int(50),
			Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("Count the wagons.")}}); err != nil {
			t.Fatal(err)
		}
	}
	before := drawn(g)
	if before == 0 {
		t.Fatal("no drawdown recorded before the restart")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	// The books, not the usage sums, are what a restart reads: a cost
	// transaction reversed in the ledger is drawn no more.
	var txns []ledger.Txn
	eventually(t, "five cost transactions booked", func() bool {
		all, err := g.Store.Transactions(ctx, time.Time{}, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		txns = txns[:0]
		for _, x := range all {
			if x.Kind == ledger.KindCost {
				txns = append(txns, x)
			}
		}
		return len(txns) == 5
	})
	reversed := txns[0].Effect().Committed
	if reversed == 0 {
		t.Fatalf("cost transaction %s drew nothing on the commitment: %+v", txns[0].ID, txns[0])
	}
	if _, err := g.Store.Reverse(ctx, txns[0].ID, "test: billed twice"); err != nil {
		t.Fatal(err)
	}
	if err := g.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}

	g2 := startGateway(t, mk())
	if after := drawn(g2); after != before-reversed {
		t.Errorf("drawdown after restart = %s, want %s: %s before, less the reversed %s", after, before-reversed, before, reversed)
	}
}

// syncBuffer is a bytes.Buffer safe for the log handler and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// TestAccessLogCarriesTokensAndCost: the access log line names the tokens,
// the cost in dollars, whether usage was estimated, and durations with
// their unit.
func TestAccessLogCarriesTokensAndCost(t *testing.T) {
	emu := startEmu(t, emulate.OpenAI, emulate.Knobs{})
	cfg := baseConfig([]config.Provider{providerFor("cloud", emulate.OpenAI, emu.URL)},
		config.Model{Name: "chat", Deployments: []config.Deployment{deployment("cloud", "native-model")}})
	cfg.Log.Access = true
	isolate(t, cfg)
	cfg.SetDefaults()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	var buf syncBuffer
	g, err := gateway.New(cfg, slog.New(slog.NewJSONHandler(&buf, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if err := g.Listen(); err != nil {
		t.Fatal(err)
	}
	go g.Serve()
	t.Cleanup(func() { g.Shutdown(context.Background()) })
	waitReady(t, "http://"+g.Addr())
	gw := client(g)
	if _, err := gw.Chat.Completions.New(context.Background(), openai.ChatCompletionNewParams{Model: "chat", MaxTokens: openai.Int(20),
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("Hello.")}}); err != nil {
		t.Fatal(err)
	}
	billed := emu.Billed()
	var line struct {
		Msg              string  `json:"msg"`
		PromptTokens     int64   `json:"prompt_tokens"`
		CompletionTokens int64   `json:"completion_tokens"`
		Estimated        *bool   `json:"estimated"`
		CostUSD          string  `json:"cost_usd"`
		DurationMs       float64 `json:"duration_ms"`
	}
	for _, l := range strings.Split(buf.String(), "\n") {
		if json.Unmarshal([]byte(l), &line) == nil && line.Msg == "request" {
			break
		}
	}
	want := money.Price(testInputPrice).Cost(billed.InputTokens) + money.Price(testOutputPrice).Cost(billed.OutputTokens)
	if line.Msg != "request" || line.PromptTokens != billed.InputTokens || line.CompletionTokens != billed.OutputTokens ||
		line.Estimated == nil || *line.Estimated || line.CostUSD != want.String() || line.DurationMs <= 0 {
		t.Errorf("access log %+v, want the billed tokens %d+%d, cost %s, estimated=false, duration_ms > 0\n%s",
			line, billed.InputTokens, billed.OutputTokens, want, buf.String())
	}
}
