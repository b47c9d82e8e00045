package emulate

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestKnobsJSON(t *testing.T) {
	k := Knobs{TTFT: 250 * time.Millisecond, TPS: 50, ErrorRate: 0.1, RPM: 60, APIKey: "secret", Seed: 7}
	b, err := json.Marshal(k)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "secret") || !strings.Contains(string(b), `"ttft":"250ms"`) {
		t.Errorf("encoded %s", b)
	}
	// Present fields replace, absent ones keep.
	if err := json.Unmarshal([]byte(`{"error_rate":0.5,"retry_after":"2s"}`), &k); err != nil {
		t.Fatal(err)
	}
	want := Knobs{TTFT: 250 * time.Millisecond, TPS: 50, ErrorRate: 0.5, RetryAfter: 2 * time.Second, RPM: 60, APIKey: "secret", Seed: 7}
	if k != want {
		t.Errorf("after partial update %+v, want %+v", k, want)
	}
	for _, bad := range []string{`{"ttft":250}`, `{"error-rate":0.1}`, `{"ttft":"soon"}`, `[]`} {
		if err := json.Unmarshal([]byte(bad), &k); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
}

func TestNewValidates(t *testing.T) {
	for _, k := range []Knobs{{ErrorRate: 1.5}, {ThrottleRate: -0.1}, {TPS: -1}, {RPM: -1}, {TTFT: -time.Second}, {OutputTokens: maxOutputTokens + 1}} {
		if _, err := New(OpenAI, k); err == nil {
			t.Errorf("New accepted %+v", k)
		}
	}
	if _, err := New("bedrock-but-not-yet", Knobs{}); err == nil {
		t.Error("New accepted an unknown kind")
	}
	e, err := New(Azure, Knobs{})
	if err != nil {
		t.Fatal(err)
	}
	if got := e.Knobs(); got.OutputTokens != defaultOutputTokens || got.EmbeddingDims != defaultEmbeddingDims || got.RetryAfter != time.Second {
		t.Errorf("defaults not filled in: %+v", got)
	}
	e.SetKnobs(Knobs{ErrorRate: 3, DisconnectRate: -1})
	if got := e.Knobs(); got.ErrorRate != 1 || got.DisconnectRate != 0 {
		t.Errorf("SetKnobs did not clamp: %+v", got)
	}
}

func TestListenLoopbackOnly(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:0", ":0", "192.0.2.1:0", "example.com:0", "nonsense"} {
		if s, err := Listen(OpenAI, addr, Knobs{}); err == nil {
			s.Close()
			t.Errorf("Listen(%q) succeeded", addr)
		}
	}
	s := listen(t, OpenAI, Knobs{})
	if !strings.HasPrefix(s.URL, "http://127.0.0.1:") {
		t.Errorf("URL %q", s.URL)
	}
}

func TestControlEndpoints(t *testing.T) {
	s := listen(t, OpenAI, Knobs{APIKey: "k"})
	get := func(path string) (int, string) {
		resp, err := http.Get(s.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	post(t, s.URL+"/v1/chat/completions", hello, "Authorization", "Bearer k")

	code, body := get("/emulator/billed")
	var b Billed
	if err := json.Unmarshal([]byte(body), &b); code != 200 || err != nil || b.Requests != 1 || b.ByModel["m"].Requests != 1 {
		t.Errorf("billed: %d %s", code, body)
	}

	resp, body := post(t, s.URL+"/emulator/knobs", `{"tps":100,"throttle_rate":0.25}`)
	var k Knobs
	if err := json.Unmarshal([]byte(body), &k); resp.StatusCode != 200 || err != nil || k.TPS != 100 || k.ThrottleRate != 0.25 {
		t.Errorf("post knobs: %d %s", resp.StatusCode, body)
	}
	if got := s.Knobs(); got.TPS != 100 || got.APIKey != "k" || got.OutputTokens != defaultOutputTokens {
		t.Errorf("knobs after POST %+v: the key and untouched knobs must stay", got)
	}
	if resp, body := post(t, s.URL+"/emulator/knobs", `{"error_rate":2}`); resp.StatusCode != 400 {
		t.Errorf("out-of-range knob: %d %s", resp.StatusCode, body)
	}
	if resp, body := post(t, s.URL+"/emulator/knobs", `{"tpz":1}`); resp.StatusCode != 400 {
		t.Errorf("misspelt knob: %d %s", resp.StatusCode, body)
	}
	if code, body := get("/emulator/knobs"); code != 200 || !strings.Contains(body, `"tps":100`) {
		t.Errorf("get knobs: %d %s", code, body)
	}

	if resp, _ := post(t, s.URL+"/emulator/reset", ""); resp.StatusCode != http.StatusNoContent {
		t.Errorf("reset: %d", resp.StatusCode)
	}
	if code, body := get("/emulator/billed"); code != 200 || !strings.Contains(body, `"requests":0`) || !strings.Contains(body, `"by_model":{}`) {
		t.Errorf("billed after reset: %s", body)
	}
	if code, _ := get("/emulator/reset"); code != http.StatusMethodNotAllowed {
		t.Errorf("GET reset: %d", code)
	}
	if code, _ := get("/emulator/nope"); code != http.StatusNotFound {
		t.Errorf("unknown control endpoint: %d", code)
	}
}
