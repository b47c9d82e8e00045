package gateway_test

import (
	"context"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/switchyard/switchyard/internal/config"
	"github.com/switchyard/switchyard/internal/emulate"
	coltrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"
)

// otlpReceiver is a stand-in OpenTelemetry collector: it takes the
// protobuf POSTs an OTLP/HTTP exporter sends to /v1/traces.
type otlpReceiver struct {
	mu    sync.Mutex
	spans []*tracepb.Span
}

func (o *otlpReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	raw, _ := io.ReadAll(r.Body)
	var req coltrace.ExportTraceServiceRequest
	if r.URL.Path != "/v1/traces" || proto.Unmarshal(raw, &req) != nil {
		http.Error(w, "bad export", http.StatusBadRequest)
		return
	}
	o.mu.Lock()
	for _, rs := range req.ResourceSpans {
		for _, ss := range rs.ScopeSpans {
			o.spans = append(o.spans, ss.Spans...)
		}
	}
	o.mu.Unlock()
	b, _ := proto.Marshal(&coltrace.ExportTraceServiceResponse{})
	w.Header().Set("Content-Type", "application/x-protobuf")
	w.Write(b)
}

// spanAttrs renders a span's attributes as strings.
func spanAttrs(s *tracepb.Span) map[string]string {
	out := map[string]string{}
	for _, kv := range s.Attributes {
		switch v := kv.Value.Value.(type) {
		case *commonpb.AnyValue_StringValue:
			out[kv.Key] = v.StringValue
		case *commonpb.AnyValue_IntValue:
			out[kv.Key] = strconv.FormatInt(v.IntValue, 10)
		default:
			out[kv.Key] = kv.Value.String()
		}
	}
	return out
}

// TestTraceOfAFailover: a request that arrives with a traceparent and fails
// over from one cloud to another reaches an OTLP collector as a server span
// under the caller's span, with one client span per attempt, carrying the
// GenAI attributes.
func TestTraceOfAFailover(t *testing.T) {
	recv := &otlpReceiver{}
	collector := httptest.NewServer(recv)
	defer collector.Close()
	broken := startEmu(t, emulate.OpenAI, emulate.Knobs{ErrorRate: 1})
	steady := startEmu(t, emulate.OpenAI, emulate.Knobs{})
	first, second := deployment("broken", "native-a"), deployment("steady", "native-b")
	first.Priority, first.PrioritySet = 1, true
	second.Priority, second.PrioritySet = 2, true
	cfg := baseConfig([]config.Provider{providerFor("broken", emulate.OpenAI, broken.URL), providerFor("steady", emulate.OpenAI, steady.URL)},
		config.Model{Name: "chat", Deployments: []config.Deployment{first, second}})
	cfg.Tracing.OTLPEndpoint = collector.URL
	g, _, stop := startLogged(t, cfg)

	const traceID, parentID = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
	var resp *http.Response
	gw := client(g)
	_, err := gw.Chat.Completions.New(context.Background(), openai.ChatCompletionNewParams{Model: "chat", MaxTokens: openai.Int(20),
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("Which track?")}},
		option.WithHeader("traceparent", "00-"+traceID+"-"+parentID+"-01"), option.WithResponseInto(&resp))
	if err != nil {
		t.Fatal(err)
	}
	requestID := resp.Header.Get("x-switchyard-request-id")
	stop() // flushes the exporter

	recv.mu.Lock()
	defer recv.mu.Unlock()
	var server *tracepb.Span
	var clients []*tracepb.Span
	for _, s := range recv.spans {
		switch s.Kind {
		case tracepb.Span_SPAN_KIND_SERVER:
			server = s
		case tracepb.Span_SPAN_KIND_CLIENT:
			clients = append(clients, s)
		}
	}
	if server == nil || len(clients) != 2 {
		t.Fatalf("collector got %d spans (server %v, %d clients), want a server span and 2 client spans", len(recv.spans), server != nil, len(clients))
	}
	if server.Name != "chat chat" || hex.EncodeToString(server.TraceId) != traceID || hex.EncodeToString(server.ParentSpanId) != parentID {
		t.Errorf("server span %q trace %x parent %x, want \"chat chat\" under the incoming traceparent", server.Name, server.TraceId, server.ParentSpanId)
	}
	sa := spanAttrs(server)
	for k, want := range map[string]string{"gen_ai.operation.name": "chat", "gen_ai.request.model": "chat", "gen_ai.response.model": "chat",
		"gen_ai.request.max_tokens": "20", "switchyard.request_id": requestID, "switchyard.deployment": "steady/native-b",
		"switchyard.attempts": "2", "http.response.status_code": "200"} {
		if sa[k] != want {
			t.Errorf("server span %s = %q, want %q", k, sa[k], want)
		}
	}
	if sa["gen_ai.usage.input_tokens"] == "" || sa["gen_ai.usage.input_tokens"] == "0" || sa["gen_ai.usage.output_tokens"] == "" {
		t.Errorf("server span usage: %v", sa)
	}
	for i, c := range clients {
		if hex.EncodeToString(c.ParentSpanId) != hex.EncodeToString(server.SpanId) || hex.EncodeToString(c.TraceId) != traceID {
			t.Errorf("attempt span %q is not a child of the request span", c.Name)
		}
		a := spanAttrs(c)
		n := a["switchyard.attempt"]
		switch n {
		case "1":
			if c.Name != "chat native-a" || c.Status.GetCode() != tracepb.Status_STATUS_CODE_ERROR || a["http.response.status_code"] != "500" ||
				a["switchyard.deployment"] != "broken/native-a" {
				t.Errorf("failed attempt span %q status %v attrs %v", c.Name, c.Status, a)
			}
		case "2":
			if c.Name != "chat native-b" || c.Status.GetCode() == tracepb.Status_STATUS_CODE_ERROR || a["gen_ai.response.model"] != "native-b" ||
				a["gen_ai.provider.name"] != "openai" || a["gen_ai.usage.output_tokens"] == "" || a["switchyard.request_id"] != requestID {
				t.Errorf("answering attempt span %q status %v attrs %v", c.Name, c.Status, a)
			}
		default:
			t.Errorf("client span %d: switchyard.attempt = %q", i, n)
		}
	}
}
