package gateway_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/anthropics/anthropic-sdk-go/v2"
	"github.com/openai/openai-go/v3"
	"github.com/switchyard/switchyard/internal/config"
	"github.com/switchyard/switchyard/internal/emulate"
	"github.com/switchyard/switchyard/internal/gateway"
)

// slowStreamGateway routes "chat" to one emulator whose streams take about
// tokens/tps seconds.
func slowStreamGateway(t *testing.T, k emulate.Knobs, tune func(*config.Config)) (*gateway.Gateway, *emulate.Server) {
	emu := startEmu(t, emulate.OpenAI, k)
	cfg := baseConfig([]config.Provider{providerFor("cloud", emulate.OpenAI, emu.URL)},
		config.Model{Name: "chat", Deployments: []config.Deployment{deployment("cloud", "m")}})
	cfg.SetDefaults()
	if tune != nil {
		tune(cfg)
	}
	return startGateway(t, cfg), emu
}

func collect(s interface {
	Next() bool
	Current() openai.ChatCompletionChunk
	Err() error
}) (string, error) {
	var b strings.Builder
	for s.Next() {
		if ch := s.Current(); len(ch.Choices) > 0 {
			b.WriteString(ch.Choices[0].Delta.Content)
		}
	}
	return b.String(), s.Err()
}

// TestLongStreamOutlivesServerTimeouts: server timeouts bound reading headers
// and bodies, never the length of an answer.
func TestLongStreamOutlivesServerTimeouts(t *testing.T) {
	g, _ := slowStreamGateway(t, emulate.Knobs{TPS: 25}, func(c *config.Config) {
		c.Server.ReadHeaderTimeout = config.Duration(100 * time.Millisecond)
		c.Server.BodyReadTimeout = config.Duration(100 * time.Millisecond)
		c.Server.IdleTimeout = config.Duration(100 * time.Millisecond)
	})
	p := openai.ChatCompletionNewParams{Model: "chat", Messages: messages, MaxTokens: openai.Int(30)} // ~1.2 s at 25 tokens/s
	c := client(g)
	text, err := collect(c.Chat.Completions.NewStreaming(context.Background(), p))
	if err != nil {
		t.Fatal(err)
	}
	if n := len(strings.Fields(text)); n != 30 {
		t.Errorf("stream carried %d words, want all 30", n)
	}
}

// TestGracefulShutdown: on shutdown, readiness turns 503 first, an in-flight
// stream finishes whole, and then the listener is gone.
func TestGracefulShutdown(t *testing.T) {
	g, _ := slowStreamGateway(t, emulate.Knobs{TPS: 20}, func(c *config.Config) {
		c.Server.DrainDelay = config.Duration(500 * time.Millisecond)
		c.Server.ShutdownGrace = config.Duration(10 * time.Second)
	})
	base := "http://" + g.Addr()
	p := openai.ChatCompletionNewParams{Model: "chat", Messages: messages, MaxTokens: openai.Int(30)} // ~1.5 s
	c := client(g)
	stream := c.Chat.Completions.NewStreaming(context.Background(), p)
	if !stream.Next() {
		t.Fatalf("stream did not start: %v", stream.Err())
	}
	first := stream.Current().Choices[0].Delta.Content

	shut := make(chan error, 1)
	go func() { shut <- g.Shutdown(context.Background()) }()

	// During the drain delay the node still answers, but says it is not ready.
	var ready int
	for range 100 {
		resp, err := http.Get(base + "/readyz")
		if err == nil {
			ready = resp.StatusCode
			resp.Body.Close()
			if ready == http.StatusServiceUnavailable {
				break
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	if ready != http.StatusServiceUnavailable {
		t.Errorf("/readyz during shutdown = %d, want 503", ready)
	}

	rest, err := collect(stream)
	if err != nil {
		t.Fatalf("in-flight stream cut by shutdown: %v", err)
	}
	if n := len(strings.Fields(first + rest)); n != 30 {
		t.Errorf("in-flight stream carried %d words, want 30", n)
	}
	if err := <-shut; err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	if resp, err := http.Get(base + "/healthz"); err == nil {
		resp.Body.Close()
		t.Error("gateway still accepting connections after shutdown")
	}
}

// TestUpstreamBreaksMidStream: once bytes reached the client there is no
// failover; the client gets an error event in OpenAI's format and the books
// record the interrupted attempt with an estimate.
func TestUpstreamBreaksMidStream(t *testing.T) {
	g, emu := slowStreamGateway(t, emulate.Knobs{DisconnectRate: 1}, nil)
	p := openai.ChatCompletionNewParams{Model: "chat", Messages: messages, MaxTokens: openai.Int(40)}
	c := client(g)
	text, err := collect(c.Chat.Completions.NewStreaming(context.Background(), p))
	if err == nil {
		t.Fatalf("stream cut by the cloud ended without an error (text %q)", text)
	}
	if text == "" {
		t.Error("no content reached the client before the cut")
	}
	snap := g.Meter.Snapshot()
	if len(snap) != 1 || snap[0].Interrupted != 1 || snap[0].Completed != 0 || snap[0].PromptTokens == 0 {
		t.Errorf("books: %+v", snap)
	}
	if emu.Billed().Disconnects != 1 {
		t.Errorf("emulator disconnects = %d", emu.Billed().Disconnects)
	}
}

// TestClientGoesAway: a client that leaves mid-stream cancels the upstream
// request, and the attempt is recorded as aborted by the client.
func TestClientGoesAway(t *testing.T) {
	g, _ := slowStreamGateway(t, emulate.Knobs{TPS: 20}, nil)
	ctx, cancel := context.WithCancel(context.Background())
	p := openai.ChatCompletionNewParams{Model: "chat", Messages: messages, MaxTokens: openai.Int(200)} // 10 s if not cancelled
	c := client(g)
	stream := c.Chat.Completions.NewStreaming(ctx, p)
	if !stream.Next() {
		t.Fatal(stream.Err())
	}
	cancel()
	stream.Close()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if s := g.Meter.Snapshot(); len(s) == 1 && s[0].Interrupted == 1 {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("client abort never recorded: %+v", g.Meter.Snapshot())
}

// translatedClouds are the emulated clouds whose streams the gateway
// translates for OpenAI and Anthropic clients.
var translatedClouds = []matrixCloud{matrixClouds[3], matrixClouds[4], matrixClouds[5]}

func withKnobs(mc matrixCloud, k emulate.Knobs) matrixCloud {
	k.APIKey, k.AWSAccessKeyID, k.AWSSecretAccessKey = mc.knobs.APIKey, mc.knobs.AWSAccessKeyID, mc.knobs.AWSSecretAccessKey
	mc.knobs = k
	return mc
}

// TestTranslatedStreamBreaks: when a cloud of another format cuts its stream,
// the client gets the content so far and then an error in its own format,
// never a silently truncated answer; the books record the interruption.
func TestTranslatedStreamBreaks(t *testing.T) {
	for _, mc := range translatedClouds {
		t.Run(mc.name, func(t *testing.T) {
			g, emu := matrixGateway(t, withKnobs(mc, emulate.Knobs{DisconnectRate: 1}))
			oc := client(g)
			text, err := collect(oc.Chat.Completions.NewStreaming(context.Background(),
				openai.ChatCompletionNewParams{Model: "chat", Messages: messages, MaxTokens: openai.Int(40)}))
			if err == nil || text == "" {
				t.Errorf("openai client: text %q, err %v: want content, then an error", text, err)
			}

			ac := anthropicClient(g)
			stream := ac.Messages.NewStreaming(context.Background(), anthropic.MessageNewParams{Model: "chat", MaxTokens: 40,
				Messages: []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("Tell me about rail yards."))}})
			var m anthropic.Message
			for stream.Next() {
				m.Accumulate(stream.Current())
			}
			if stream.Err() == nil || textOf(&m) == "" {
				t.Errorf("anthropic client: text %q, err %v: want content, then an error", textOf(&m), stream.Err())
			}
			snap := g.Meter.Snapshot()
			if len(snap) != 1 || snap[0].Interrupted != 2 || snap[0].Completed != 0 {
				t.Errorf("books: %+v", snap)
			}
			if emu.Billed().Disconnects != 2 {
				t.Errorf("emulator disconnects = %d", emu.Billed().Disconnects)
			}
		})
	}
}

// TestTranslatedClientGoesAway: a client that leaves a translated stream
// cancels the upstream request: the cloud stops generating and bills only
// what it sent.
func TestTranslatedClientGoesAway(t *testing.T) {
	for _, mc := range translatedClouds {
		t.Run(mc.name, func(t *testing.T) {
			g, emu := matrixGateway(t, withKnobs(mc, emulate.Knobs{TPS: 20}))
			ctx, cancel := context.WithCancel(context.Background())
			ac := anthropicClient(g)
			stream := ac.Messages.NewStreaming(ctx, anthropic.MessageNewParams{Model: "chat", MaxTokens: 200, // 10 s if not cancelled
				Messages: []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("Tell me about rail yards."))}})
			for stream.Next() {
				if stream.Current().Type == "content_block_delta" {
					break
				}
			}
			cancel()
			stream.Close()
			deadline := time.Now().Add(5 * time.Second)
			for time.Now().Before(deadline) {
				if s := g.Meter.Snapshot(); len(s) == 1 && s[0].Interrupted == 1 {
					if b := emu.Billed(); b.OutputTokens >= 200 {
						t.Errorf("the cloud billed %d output tokens: the upstream request ran on", b.OutputTokens)
					}
					return
				}
				time.Sleep(10 * time.Millisecond)
			}
			t.Fatalf("client abort never recorded: %+v", g.Meter.Snapshot())
		})
	}
}
