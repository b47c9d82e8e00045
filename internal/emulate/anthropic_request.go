package emulate

import (
	"encoding/json"
	"strings"
)

// anthropicRequest is a Messages API request. Members the API does not
// define are refused, as the real API refuses extra inputs; the members an
// answer does not depend on are still decoded so that their types are checked.
type anthropicRequest struct {
	Model         *string         `json:"model"`
	Messages      json.RawMessage `json:"messages"`
	MaxTokens     *int            `json:"max_tokens"`
	System        json.RawMessage `json:"system"`
	StopSequences []string        `json:"stop_sequences"`
	Stream        *bool           `json:"stream"`
	Temperature   *float64        `json:"temperature"`
	TopP          *float64        `json:"top_p"`
	TopK          *int            `json:"top_k"`
	Tools         json.RawMessage `json:"tools"`
	ToolChoice    json.RawMessage `json:"tool_choice"`
	Metadata      *struct {
		UserID *string `json:"user_id"`
	} `json:"metadata"`
	Thinking     json.RawMessage `json:"thinking"`
	ServiceTier  *string         `json:"service_tier"`
	OutputConfig *struct {
		Format json.RawMessage `json:"format"`
		Effort *string         `json:"effort"`
	} `json:"output_config"`
	OutputFormat      json.RawMessage `json:"output_format"` // the structured-outputs beta's spelling
	CacheControl      json.RawMessage `json:"cache_control"`
	Container         json.RawMessage `json:"container"`
	ContextManagement json.RawMessage `json:"context_management"`
	MCPServers        json.RawMessage `json:"mcp_servers"`
	InferenceGeo      *string         `json:"inference_geo"`
	Speed             *string         `json:"speed"`
	Diagnostics       json.RawMessage `json:"diagnostics"`
}

type anthropicToolChoice struct {
	Type                   *string `json:"type"`
	Name                   *string `json:"name"`
	DisableParallelToolUse *bool   `json:"disable_parallel_tool_use"`
}

// anthropicPrompt is a decoded Messages request: the cloud-neutral prompt the
// answer is generated from, plus what only Anthropic has.
type anthropicPrompt struct {
	prompt
	maxTokens int                // max_tokens, as sent
	stops     []string           // stop_sequences, as sent
	cache     anthropicCachePlan // where the prompt may be cached
}

// anthropicMaxStops bounds stop_sequences; the real API takes a few thousand.
const anthropicMaxStops = 8191

// decodeAnthropic reads a Messages request, or returns the 400 the real API
// would answer. count is set for /v1/messages/count_tokens, whose requests
// have no max_tokens and no sampling parameters.
func decodeAnthropic(body []byte, count bool) (*anthropicPrompt, *anthropicError) {
	if !json.Valid(body) {
		return nil, anthropicInvalid("There was an error parsing the body of your request: it is not valid JSON")
	}
	var req anthropicRequest
	if err := anthropicStrict(body, "", &req); err != nil {
		return nil, err
	}
	p := &anthropicPrompt{prompt: prompt{n: 1}}
	if req.Model == nil {
		return nil, anthropicRequired("model")
	}
	if *req.Model == "" {
		return nil, anthropicInvalid("model: String should have at least 1 character")
	}
	p.model = *req.Model
	if err := p.readScalars(&req, count); err != nil {
		return nil, err
	}
	if err := p.readFormat(&req); err != nil {
		return nil, err
	}

	w := anthropicWalk{p: p, total: chatPrimingTokens, seed: fnvOffset, chash: anthropicMix(fnvOffset, p.model)}
	if err := w.tools(req.Tools); err != nil {
		return nil, err
	}
	if err := p.readToolChoice(req.ToolChoice); err != nil {
		return nil, err
	}
	if err := w.system(req.System); err != nil {
		return nil, err
	}
	if err := w.messages(req.Messages); err != nil {
		return nil, err
	}
	if w.toolBlockAt != "" && !w.hasTools {
		return nil, anthropicInvalid("%s: Requests which include `tool_use` or `tool_result` blocks must define tools.", w.toolBlockAt)
	}
	if req.CacheControl != nil && string(req.CacheControl) != "null" {
		// Top-level cache_control marks the last cacheable block.
		ttl1h, err := anthropicCacheControl(req.CacheControl, "cache_control")
		if err != nil {
			return nil, err
		}
		if len(w.plan.bounds) > 0 {
			w.mark(ttl1h)
		}
	}
	if err := w.plan.check(); err != nil {
		return nil, err
	}
	p.tokens, p.seed, p.cache = w.total, w.seed, w.plan
	return p, nil
}

// readScalars checks max_tokens, the sampling parameters and the other
// members that do not shape the answer beyond its length and stops.
func (p *anthropicPrompt) readScalars(req *anthropicRequest, count bool) *anthropicError {
	if count {
		// count_tokens takes the prompt only.
		for _, f := range []struct {
			name    string
			present bool
		}{
			{"max_tokens", req.MaxTokens != nil}, {"stream", req.Stream != nil},
			{"stop_sequences", req.StopSequences != nil}, {"temperature", req.Temperature != nil},
			{"top_p", req.TopP != nil}, {"top_k", req.TopK != nil}, {"metadata", req.Metadata != nil},
			{"service_tier", req.ServiceTier != nil},
		} {
			if f.present {
				return anthropicExtra(f.name)
			}
		}
	} else {
		if req.MaxTokens == nil {
			return anthropicRequired("max_tokens")
		}
		if *req.MaxTokens < 1 {
			return anthropicInvalid("max_tokens: Input should be greater than or equal to 1")
		}
		if *req.MaxTokens > maxOutputTokens {
			return anthropicInvalid("max_tokens: %d > %d, which is the maximum allowed number of output tokens for %s",
				*req.MaxTokens, maxOutputTokens, p.model)
		}
		p.maxTokens = *req.MaxTokens
	}
	for _, r := range []struct {
		name   string
		v      *float64
		lo, hi float64
	}{{"temperature", req.Temperature, 0, 1}, {"top_p", req.TopP, 0, 1}} {
		switch {
		case r.v == nil:
		case *r.v < r.lo:
			return anthropicInvalid("%s: Input should be greater than or equal to %g", r.name, r.lo)
		case *r.v > r.hi:
			return anthropicInvalid("%s: Input should be less than or equal to %g", r.name, r.hi)
		}
	}
	if req.TopK != nil && *req.TopK < 0 {
		return anthropicInvalid("top_k: Input should be greater than or equal to 0")
	}
	if req.ServiceTier != nil && *req.ServiceTier != "auto" && *req.ServiceTier != "standard_only" {
		return anthropicInvalid("service_tier: Input should be 'auto' or 'standard_only'")
	}
	if req.Metadata != nil && req.Metadata.UserID != nil && len(*req.Metadata.UserID) > 256 {
		return anthropicInvalid("metadata.user_id: String should have at most 256 characters")
	}
	if len(req.StopSequences) > anthropicMaxStops {
		return anthropicInvalid("stop_sequences: List should have at most %d items", anthropicMaxStops)
	}
	for i, s := range req.StopSequences {
		if strings.TrimSpace(s) == "" {
			return anthropicInvalid("stop_sequences.%d: each stop sequence must contain non-whitespace", i)
		}
	}
	p.stops = req.StopSequences
	p.stream = req.Stream != nil && *req.Stream
	return p.readThinking(req.Thinking, count)
}

// readThinking checks the thinking configuration. The emulator answers
// without thinking blocks whatever it says.
func (p *anthropicPrompt) readThinking(raw json.RawMessage, count bool) *anthropicError {
	if raw == nil || string(raw) == "null" {
		return nil
	}
	var t struct {
		Type         *string         `json:"type"`
		BudgetTokens *int            `json:"budget_tokens"`
		Display      json.RawMessage `json:"display"`
	}
	if err := anthropicStrict(raw, "thinking", &t); err != nil {
		return err
	}
	if t.Type == nil {
		return anthropicRequired("thinking.type")
	}
	switch *t.Type {
	case "enabled":
		if t.BudgetTokens == nil {
			return anthropicRequired("thinking.enabled.budget_tokens")
		}
		if *t.BudgetTokens < 1024 {
			return anthropicInvalid("thinking.enabled.budget_tokens: Input should be greater than or equal to 1024")
		}
		if !count && *t.BudgetTokens >= p.maxTokens {
			return anthropicInvalid("`max_tokens` must be greater than `thinking.budget_tokens`. Please consult our " +
				"documentation at https://docs.claude.com/en/docs/build-with-claude/extended-thinking#max-tokens-and-context-window-size")
		}
	case "disabled", "adaptive", "between_tools":
		if t.BudgetTokens != nil {
			return anthropicExtra("thinking." + *t.Type + ".budget_tokens")
		}
	default:
		return anthropicInvalid("thinking: Input tag '%s' found using 'type' does not match any of the expected tags: "+
			"'enabled', 'disabled', 'adaptive', 'between_tools'", *t.Type)
	}
	return nil
}

var anthropicEfforts = map[string]bool{"low": true, "medium": true, "high": true, "xhigh": true, "max": true}

// readFormat reads a structured-output request: output_config.format, or
// the beta's output_format.
func (p *anthropicPrompt) readFormat(req *anthropicRequest) *anthropicError {
	raw, at := req.OutputFormat, "output_format"
	if req.OutputConfig != nil {
		if e := req.OutputConfig.Effort; e != nil && !anthropicEfforts[*e] {
			return anthropicInvalid("output_config.effort: Input should be 'low', 'medium', 'high', 'xhigh' or 'max'")
		}
		if req.OutputConfig.Format != nil && string(req.OutputConfig.Format) != "null" {
			if raw != nil && string(raw) != "null" {
				return anthropicInvalid("output_format and output_config.format cannot both be set")
			}
			raw, at = req.OutputConfig.Format, "output_config.format"
		}
	}
	if raw == nil || string(raw) == "null" {
		return nil
	}
	var f struct {
		Type   *string         `json:"type"`
		Schema json.RawMessage `json:"schema"`
	}
	if err := anthropicStrict(raw, at, &f); err != nil {
		return err
	}
	if f.Type == nil {
		return anthropicRequired(at + ".type")
	}
	if *f.Type != "json_schema" {
		return anthropicInvalid("%s: Input tag '%s' found using 'type' does not match any of the expected tags: 'json_schema'", at, *f.Type)
	}
	if jsonKind(f.Schema) != "an object" {
		if f.Schema == nil {
			return anthropicRequired(at + ".json_schema.schema")
		}
		return anthropicWant(at+".json_schema.schema", "dictionary")
	}
	p.format, p.schema = formatJSONSchema, f.Schema
	return nil
}

// readToolChoice reads tool_choice; the tools are already read.
func (p *anthropicPrompt) readToolChoice(raw json.RawMessage) *anthropicError {
	if raw == nil || string(raw) == "null" {
		return nil
	}
	var tc anthropicToolChoice
	if err := anthropicStrict(raw, "tool_choice", &tc); err != nil {
		return err
	}
	if tc.Type == nil {
		return anthropicRequired("tool_choice.type")
	}
	at := "tool_choice." + *tc.Type
	switch *tc.Type {
	case "auto":
	case "none":
		p.mode = toolNone
		if tc.DisableParallelToolUse != nil {
			return anthropicExtra(at + ".disable_parallel_tool_use")
		}
	case "any":
		p.mode = toolRequired
	case "tool":
		if tc.Name == nil {
			return anthropicRequired(at + ".name")
		}
		p.mode, p.named = toolRequired, *tc.Name
		if p.find(*tc.Name) == nil {
			return anthropicInvalid("%s.name: Tool '%s' not found in the provided tools", at, *tc.Name)
		}
	default:
		return anthropicInvalid("tool_choice: Input tag '%s' found using 'type' does not match any of the expected tags: "+
			"'auto', 'any', 'tool', 'none'", *tc.Type)
	}
	if tc.Name != nil && *tc.Type != "tool" {
		return anthropicExtra(at + ".name")
	}
	if p.mode == toolRequired && len(p.tools) == 0 {
		return anthropicInvalid("tool_choice: tool_choice.type '%s' may only be specified while providing tools", *tc.Type)
	}
	return nil
}

// anthropicCacheControl checks a cache_control object and reports whether
// its ttl is an hour.
func anthropicCacheControl(raw json.RawMessage, at string) (ttl1h bool, _ *anthropicError) {
	var cc struct {
		Type *string `json:"type"`
		TTL  *string `json:"ttl"`
	}
	if err := anthropicStrict(raw, at, &cc); err != nil {
		return false, err
	}
	if cc.Type == nil {
		return false, anthropicRequired(at + ".type")
	}
	if *cc.Type != "ephemeral" {
		return false, anthropicInvalid("%s.type: Input should be 'ephemeral'", at)
	}
	if cc.TTL != nil && *cc.TTL != "5m" && *cc.TTL != "1h" {
		return false, anthropicInvalid("%s.ttl: Input should be '5m' or '1h'", at)
	}
	return cc.TTL != nil && *cc.TTL == "1h", nil
}
