package demo

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

type trafficResult struct {
	ok, failed int64
	elapsed    time.Duration
}

// sendTraffic sends n requests of a realistic mix through the gateway, four at a
// time: plain chat, streamed chat, a tool call and embeddings. Request i
// goes with keys[i%len(keys)], so every key's tenant has usage.
func sendTraffic(ctx context.Context, baseURL string, keys []string, n int) trafficResult {
	start := time.Now()
	var res trafficResult
	var next atomic.Int64
	var wg sync.WaitGroup
	client := &http.Client{Timeout: 30 * time.Second}
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1) - 1
				if i >= int64(n) || ctx.Err() != nil {
					return
				}
				path, body, stream := sample(int(i))
				if err := send(ctx, client, baseURL+path, keys[int(i)%len(keys)], body, stream); err != nil {
					atomic.AddInt64(&res.failed, 1)
				} else {
					atomic.AddInt64(&res.ok, 1)
				}
			}
		}()
	}
	wg.Wait()
	res.elapsed = time.Since(start)
	return res
}

// sample is the i-th request of the mix: OpenAI-format chat, streams and
// tool calls to every chat model (so GPT, Claude and Gemini answer the same
// API), Anthropic-format messages, and embeddings.
func sample(i int) (path, body string, stream bool) {
	model := [...]string{ChatModel, ClaudeModel, GeminiModel}[i%3]
	switch i % 10 {
	case 0, 1, 2:
		return "/chat/completions", fmt.Sprintf(`{"model":%q,"messages":[{"role":"user","content":"Write a short greeting, number %d."}],"max_tokens":%d}`, model, i, 12+i%20), false
	case 3, 4, 5:
		return "/chat/completions", fmt.Sprintf(`{"model":%q,"stream":true,"messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Tell me about trains, part %d."}]}`, model, i), true
	case 6:
		return "/chat/completions", fmt.Sprintf(`{"model":%q,"messages":[{"role":"user","content":"What is the weather in city %d?"}],
			"tools":[{"type":"function","function":{"name":"get_weather","description":"Current weather","parameters":{"type":"object","properties":{"city":{"type":"string"},"unit":{"type":"string","enum":["celsius","fahrenheit"]}},"required":["city"]}}}],
			"tool_choice":"required"}`, model, i), false
	case 7:
		return "/messages", fmt.Sprintf(`{"model":%q,"max_tokens":32,"messages":[{"role":"user","content":"Hello from the Anthropic API, number %d."}]}`, ClaudeModel, i), false
	case 8:
		return "/messages", fmt.Sprintf(`{"model":%q,"max_tokens":32,"stream":true,"messages":[{"role":"user","content":"Stream me something, number %d."}]}`, [...]string{ClaudeModel, ChatModel}[i%2], i), true
	default:
		return "/embeddings", fmt.Sprintf(`{"model":%q,"input":["switchyard %d","model gateway"]}`, EmbeddingModel, i), false
	}
}

func send(ctx context.Context, c *http.Client, url, key, body string, stream bool) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader([]byte(body)))
	if err != nil {
		return err
	}
	if strings.HasSuffix(url, "/messages") {
		req.Header.Set("x-api-key", key) // as the Anthropic SDKs send it
		req.Header.Set("anthropic-version", "2023-06-01")
	} else {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		io.Copy(io.Discard, resp.Body)
		return fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	if !stream {
		_, err = io.Copy(io.Discard, resp.Body)
		return err
	}
	// An OpenAI stream ends with [DONE], an Anthropic one with message_stop.
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if bytes.Equal(sc.Bytes(), []byte("data: [DONE]")) || bytes.Equal(sc.Bytes(), []byte("event: message_stop")) {
			return nil
		}
	}
	if err := sc.Err(); err != nil {
		return err
	}
	return fmt.Errorf("stream ended before its end marker")
}
