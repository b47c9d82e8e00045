package emulate

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/azure"
	"github.com/openai/openai-go/v3/option"
)

func azureClient(s *Server, key string) openai.Client {
	return openai.NewClient(
		azure.WithEndpoint(s.URL, "2024-10-21"),
		azure.WithAPIKey(key),
		azure.WithUnsafeAllowHTTP(),
		option.WithMaxRetries(0),
	)
}

func TestAzureClassic(t *testing.T) {
	az := listen(t, Azure, Knobs{APIKey: "k"})
	oa := listen(t, OpenAI, Knobs{})
	c := azureClient(az, "k")
	params := openai.ChatCompletionNewParams{Model: "my-gpt4o-deployment", Messages: greeting}

	resp, err := c.Chat.Completions.New(context.Background(), params)
	if err != nil {
		t.Fatal(err)
	}
	oc := openaiClient(oa)
	ref, err := oc.Chat.Completions.New(context.Background(), params)
	if err != nil {
		t.Fatal(err)
	}
	if resp.Choices[0].Message.Content != ref.Choices[0].Message.Content {
		t.Errorf("azure %q != openai %q for the same messages", resp.Choices[0].Message.Content, ref.Choices[0].Message.Content)
	}
	if resp.Model != "my-gpt4o-deployment" || resp.Usage.TotalTokens != ref.Usage.TotalTokens || resp.Usage.PromptTokens != ref.Usage.PromptTokens {
		t.Errorf("model %q usage %+v, want the deployment and %+v", resp.Model, resp.Usage, ref.Usage)
	}
	var raw struct {
		PromptFilterResults []struct {
			ContentFilterResults map[string]struct{ Filtered bool } `json:"content_filter_results"`
		} `json:"prompt_filter_results"`
		Choices []struct {
			ContentFilterResults map[string]struct {
				Filtered bool
				Severity string
			} `json:"content_filter_results"`
		}
	}
	if err := json.Unmarshal([]byte(resp.RawJSON()), &raw); err != nil {
		t.Fatal(err)
	}
	if len(raw.PromptFilterResults) != 1 || len(raw.PromptFilterResults[0].ContentFilterResults) == 0 ||
		raw.Choices[0].ContentFilterResults["hate"].Severity != "safe" {
		t.Errorf("content filter annotations missing: %s", resp.RawJSON())
	}

	for _, usage := range []bool{false, true} {
		p := params
		if usage {
			p.StreamOptions = openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)}
		}
		got := stream(t, c, p)
		if len(got.Choices) != 1 || got.Choices[0].Message.Content != ref.Choices[0].Message.Content {
			t.Fatalf("usage=%v: streamed %+v, want %q", usage, got.Choices, ref.Choices[0].Message.Content)
		}
		if usage && got.Usage.TotalTokens != ref.Usage.TotalTokens {
			t.Errorf("streamed usage %+v, want %+v", got.Usage, ref.Usage)
		}
	}

	emb, err := c.Embeddings.New(context.Background(), openai.EmbeddingNewParams{
		Model: "my-embedding-deployment", Input: openai.EmbeddingNewParamsInputUnion{OfString: openai.String("hello")},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(emb.Data) != 1 || len(emb.Data[0].Embedding) != defaultEmbeddingDims {
		t.Errorf("embedding %+v", emb.Data)
	}

	b := az.Billed()
	if b.Requests != 4 || b.ByModel["my-gpt4o-deployment"].Requests != 3 || b.ByModel["my-embedding-deployment"].InputTokens != int64(tok("hello")) {
		t.Errorf("billed %+v", b)
	}
}

// TestAzureStreamWire checks Azure's stream framing: the empty first chunk,
// the filter results on chunks, and the asynchronous filter chunk with
// offsets and no delta before the finish chunk.
func TestAzureStreamWire(t *testing.T) {
	s := listen(t, Azure, Knobs{})
	resp, text := post(t, s.URL+"/openai/deployments/dep/chat/completions?api-version=2024-10-21",
		`{"stream":true,"max_tokens":2,"messages":[{"role":"user","content":"hi"}]}`)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("apim-request-id") == "" || resp.Header.Get("x-ms-region") == "" {
		t.Fatalf("%d %v", resp.StatusCode, resp.Header)
	}
	var events []map[string]json.RawMessage
	for _, line := range strings.Split(strings.TrimSpace(text), "\n\n") {
		data := strings.TrimPrefix(line, "data: ")
		if data == "[DONE]" {
			break
		}
		var m map[string]json.RawMessage
		if err := json.Unmarshal([]byte(data), &m); err != nil {
			t.Fatalf("%q: %v", data, err)
		}
		events = append(events, m)
	}
	// preamble, role, 2 words, async filter, finish
	if len(events) != 6 {
		t.Fatalf("%d events: %s", len(events), text)
	}
	if string(events[0]["id"]) != `""` || string(events[0]["choices"]) != "[]" || events[0]["prompt_filter_results"] == nil {
		t.Errorf("preamble %v", events[0])
	}
	var async []map[string]json.RawMessage
	if err := json.Unmarshal(events[4]["choices"], &async); err != nil || len(async) != 1 {
		t.Fatalf("async filter chunk %s", events[4]["choices"])
	}
	if _, ok := async[0]["delta"]; ok || async[0]["content_filter_offsets"] == nil || string(async[0]["finish_reason"]) != "null" {
		t.Errorf("async filter choice %v", async[0])
	}
	if !strings.Contains(string(events[2]["choices"]), `"content_filter_results":{"hate"`) {
		t.Errorf("content chunk without filter results: %s", events[2]["choices"])
	}
	if !strings.Contains(string(events[5]["choices"]), `"finish_reason":"length"`) {
		t.Errorf("finish chunk %s", events[5]["choices"])
	}
}

func TestAzureV1(t *testing.T) {
	s := listen(t, Azure, Knobs{APIKey: "k"})
	for name, opt := range map[string]option.RequestOption{
		"bearer":  option.WithAPIKey("k"),
		"api-key": option.WithHeader("api-key", "k"),
	} {
		t.Run(name, func(t *testing.T) {
			c := openai.NewClient(option.WithBaseURL(s.URL+"/openai/v1"), opt, option.WithMaxRetries(0))
			resp, err := c.Chat.Completions.New(context.Background(), openai.ChatCompletionNewParams{
				Model: "v1-deployment", Messages: greeting,
			})
			if err != nil {
				t.Fatal(err)
			}
			if resp.Model != "v1-deployment" || len(strings.Fields(resp.Choices[0].Message.Content)) != defaultOutputTokens {
				t.Errorf("%+v", resp)
			}
			got := stream(t, c, openai.ChatCompletionNewParams{Model: "v1-deployment", Messages: greeting})
			if got.Choices[0].Message.Content != resp.Choices[0].Message.Content {
				t.Errorf("stream %q, want %q", got.Choices[0].Message.Content, resp.Choices[0].Message.Content)
			}
			models, err := c.Models.List(context.Background())
			if err != nil || len(models.Data) == 0 {
				t.Errorf("models: %v %v", models, err)
			}
		})
	}
}

func TestAzureErrors(t *testing.T) {
	s := listen(t, Azure, Knobs{APIKey: "k"})
	chatBody := `{"messages":[{"role":"user","content":"hi"}]}`
	for _, tc := range []struct {
		name, path, body string
		header           []string
		status           int
		code             string // the short envelope's code; "" for OpenAI's envelope
	}{
		{"no api-version", "/openai/deployments/d/chat/completions", chatBody, []string{"api-key", "k"}, 404, "404"},
		{"unknown operation", "/openai/deployments/d/images?api-version=2024-10-21", chatBody, []string{"api-key", "k"}, 404, "404"},
		{"no key", "/openai/deployments/d/chat/completions?api-version=2024-10-21", chatBody, nil, 401, "401"},
		{"wrong key", "/openai/deployments/d/chat/completions?api-version=2024-10-21", chatBody, []string{"api-key", "x"}, 401, "401"},
		{"wrong bearer", "/openai/v1/chat/completions", `{"model":"d","messages":[]}`, []string{"Authorization", "Bearer x"}, 401, "401"},
		{"bad body", "/openai/deployments/d/chat/completions?api-version=2024-10-21", `{"messages":`, []string{"api-key", "k"}, 400, ""},
		{"v1 without model", "/openai/v1/chat/completions", chatBody, []string{"api-key", "k"}, 400, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, text := post(t, s.URL+tc.path, tc.body, tc.header...)
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tc.status, text)
			}
			var env struct {
				Error map[string]any
			}
			if err := json.Unmarshal([]byte(text), &env); err != nil || env.Error["message"] == "" {
				t.Fatalf("envelope %q: %v", text, err)
			}
			if tc.code != "" {
				if env.Error["code"] != tc.code || len(env.Error) != 2 {
					t.Errorf("envelope %s, want code %q and message only", text, tc.code)
				}
			} else if _, ok := env.Error["type"]; !ok {
				t.Errorf("envelope %s is not OpenAI's", text)
			}
		})
	}

	// The SDK surfaces Azure's 401 as an API error.
	wrong := azureClient(s, "wrong")
	_, err := wrong.Chat.Completions.New(context.Background(),
		openai.ChatCompletionNewParams{Model: "d", Messages: greeting})
	var apiErr *openai.Error
	if !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusUnauthorized || apiErr.Code != "401" {
		t.Errorf("wrong key: %v", err)
	}
	if b := s.Billed(); b.Requests != 0 {
		t.Errorf("refused requests were billed: %+v", b)
	}
}
