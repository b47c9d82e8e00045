package gateway_test

import (
	"bytes"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/switchyard/switchyard/internal/config"
	"github.com/switchyard/switchyard/internal/emulate"
	"github.com/switchyard/switchyard/internal/gateway"
)

// fuzzPaths are the endpoints FuzzHandler sends bodies to, picked by the
// input's first byte.
var fuzzPaths = []string{"/v1/chat/completions", "/v1/messages", "/v1/messages/count_tokens", "/v1/embeddings"}

// FuzzHandler sends any bytes as a body to either API of a gateway whose
// models are served by emulated clouds of every format, and checks what a
// client may rely on whatever it sends: no panic, an answer in the API's own
// envelope with a status from the documented set, and the request id.
func FuzzHandler(f *testing.F) {
	for _, seed := range []string{
		`{"model":"gpt","messages":[{"role":"user","content":"hi"}]}`,
		`{"model":"gpt","stream":true,"messages":[{"role":"user","content":"hi"}]}`,
		`{"model":"claude","max_tokens":8,"messages":[{"role":"user","content":"hi"}]}`,
		`{"model":"claude","max_tokens":8,"stream":true,"messages":[{"role":"user","content":"hi"}]}`,
		`{"model":"gemini","max_tokens":8,"top_k":3,"messages":[{"role":"user","content":"hi"}]}`,
		`{"model":"gpt","input":"hello"}`,
		`{"model":"gpt","Model":"o1-pro","messages":[{"role":"user","content":"hi"}]}`,
		`{"model":"gpt","model":"o1-pro","messages":[{"role":"user","content":"hi"}]}`,
		`{"mod\u0065l":"o1-pro","model":"gpt","messages":[{"role":"user","content":"hi"}]}`,
		`{"model":"gpt","stream":true,"stream_options":{"include_usage":false,"INCLUDE_USAGE":true},"messages":[{"role":"user","content":"hi"}]}`,
		`{"model":"gpt","max_tokens":0,"messages":[{"role":"user","content":"hi"}]}`,
		`{"model":"claude","max_tokens":0,"messages":[{"role":"user","content":"hi"}]}`,
		"{\"model\":\"gpt\",\"messages\":[{\"role\":\"user\",\"content\":\"\xff\xfe\"}]}",
		`{"model":"gpt","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"data:image/png;base64,AAAA"}}]}]}`,
		`{"model":"claude","max_tokens":8,"tools":[{"name":"t","input_schema":{"type":"object"}}],"messages":[{"role":"user","content":"hi"}]}`,
		strings.Repeat("[", 5000),
		`{"model":"gpt","messages":` + strings.Repeat("[", 3000) + strings.Repeat("]", 3000) + `}`,
		`{"model":"gpt","messages":[{"role":"user","content":"hi"}],"x":` + strings.Repeat(`{"a":`, 2000) + `1` + strings.Repeat("}", 2000) + `}`,
		`{"model":"gpt","n":1e400,"messages":[]}`,
		``, `null`, `[]`, `"x"`, `{`, `{"model":`,
	} {
		for i := range fuzzPaths {
			f.Add(byte(i), []byte(seed))
		}
	}
	g := fuzzGateway(f)
	f.Fuzz(func(t *testing.T, which byte, body []byte) {
		path := fuzzPaths[int(which)%len(fuzzPaths)]
		req := httptest.NewRequest("POST", path, bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+testKey)
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		g.API.ServeHTTP(rec, req)
		checkFuzzAnswer(t, path, body, rec)
	})
}

func checkFuzzAnswer(t *testing.T, path string, body []byte, rec *httptest.ResponseRecorder) {
	t.Helper()
	if id := rec.Header().Get("X-Switchyard-Request-Id"); !strings.HasPrefix(id, "req_") {
		t.Errorf("%s: no request id", path)
	}
	switch rec.Code {
	case 200, 400, 404, 413, 422, 429, 502, 503, 504:
	default:
		t.Fatalf("%s %q: status %d: %s", path, clipBytes(body), rec.Code, rec.Body.String())
	}
	if rec.Code == 200 {
		if rec.Header().Get("X-Switchyard-Deployment") == "" && !strings.HasSuffix(path, "count_tokens") {
			t.Errorf("%s: 200 without x-switchyard-deployment", path)
		}
		return
	}
	// An error is the called API's own envelope, with a message.
	var env struct {
		Type  string `json:"type"`
		Error struct {
			Message string `json:"message"`
			Type    string `json:"type"`
		} `json:"error"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &env); err != nil || env.Error.Message == "" {
		t.Fatalf("%s %q: %d with a body that is not an error envelope: %s", path, clipBytes(body), rec.Code, rec.Body.String())
	}
	anthropicAPI := strings.HasPrefix(path, "/v1/messages")
	if anthropicAPI != (env.Type == "error") {
		t.Errorf("%s: error in the wrong envelope: %s", path, rec.Body.String())
	}
}

func clipBytes(b []byte) string {
	if len(b) > 200 {
		return string(b[:200]) + "…"
	}
	return string(b)
}

// fuzzGateway is a gateway (not listening: the fuzzer calls its handler)
// with one model per kind of cloud, each served by an emulator.
func fuzzGateway(tb testing.TB) *gateway.Gateway {
	tb.Helper()
	emuOf := func(kind emulate.Kind, k emulate.Knobs) *emulate.Server {
		s, err := emulate.Listen(kind, "127.0.0.1:0", k)
		if err != nil {
			tb.Fatal(err)
		}
		tb.Cleanup(func() { s.Close() })
		return s
	}
	oai := emuOf(emulate.OpenAI, emulate.Knobs{})
	ant := emuOf(emulate.Anthropic, emulate.Knobs{APIKey: "anthropic-key"})
	aws := emuOf(emulate.Bedrock, emulate.Knobs{AWSAccessKeyID: awsKeyID, AWSSecretAccessKey: awsSecret})
	gem := emuOf(emulate.Gemini, emulate.Knobs{APIKey: "gemini-key"})
	pa, pb, pg := matrixClouds[4].provider(ant.URL), matrixClouds[3].provider(aws.URL), matrixClouds[5].provider(gem.URL)
	pa.Name, pb.Name, pg.Name = "ant", "aws", "gem"
	cfg := baseConfig([]config.Provider{providerFor("oai", emulate.OpenAI, oai.URL), pa, pb, pg},
		config.Model{Name: "gpt", Deployments: []config.Deployment{deployment("oai", "gpt-native")}},
		config.Model{Name: "claude", Deployments: []config.Deployment{deployment("ant", "claude-native"),
			{Provider: "aws", Model: "anthropic.claude-native", Priority: 2, PrioritySet: true, Price: config.Price{Unpriced: true}}}},
		config.Model{Name: "gemini", Deployments: []config.Deployment{deployment("gem", "gemini-native")}})
	isolate(tb, cfg)
	cfg.SetDefaults()
	if err := cfg.Validate(); err != nil {
		tb.Fatal(err)
	}
	g, err := gateway.New(cfg, nil)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { g.Close() })
	g.API.SetReady(true)
	return g
}
