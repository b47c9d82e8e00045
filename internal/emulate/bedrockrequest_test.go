package emulate

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

func TestBedrockValidation(t *testing.T) {
	s := listen(t, Bedrock, Knobs{})
	const (
		user  = `{"role":"user","content":[{"text":"hi"}]}`
		tools = `"toolConfig":{"tools":[{"toolSpec":{"name":"f","inputSchema":{"json":{"type":"object"}}}}]}`
		use   = `{"role":"assistant","content":[{"toolUse":{"toolUseId":"t1","name":"f","input":{}}},` +
			`{"toolUse":{"toolUseId":"t2","name":"f","input":{}}}]}`
	)
	for _, tc := range []struct {
		name, body, message string
	}{
		{"not json", `{"messages":`, "Malformed input request: the body is not valid JSON"},
		{"wrong type", `{"messages":{"role":"user"}}`, "Malformed input request: expected an array at 'messages', but got an object"},
		{"capitalised member", `{"Messages":[` + user + `]}`,
			"Malformed input request: unknown member 'Messages' in the request: member names are case-sensitive; did you mean 'messages'?"},
		{"capitalised block", `{"messages":[{"role":"user","content":[{"Text":"hi"}]}]}`,
			"unknown member 'Text' in 'messages.0.content.0'"},
		{"capitalised tool", `{"toolConfig":{"tools":[{"ToolSpec":{"name":"f","inputSchema":{"json":{}}}}]},"messages":[` + user + `]}`,
			"unknown member 'ToolSpec' in 'toolConfig.tools.0'"},
		{"capitalised extra member", `{"messages":[` + user + `],"AdditionalModelRequestFields":{}}`,
			"unknown member 'AdditionalModelRequestFields' in the request"},
		{"tools not a list", `{"toolConfig":{"tools":5},"messages":[` + user + `]}`,
			"Malformed input request: expected an array at 'toolConfig.tools', but got an integer"},
		{"tool name not a string", `{"toolConfig":{"tools":[{"toolSpec":{"name":5}}]},"messages":[` + user + `]}`,
			"Malformed input request: expected a string at 'toolConfig.tools.toolSpec.name', but got a number"},
		{"no messages", `{}`, "A conversation must start with a user message. Try again with a conversation that starts with a user message."},
		{"assistant first", `{"messages":[{"role":"assistant","content":[{"text":"hi"}]}]}`, "A conversation must start with a user message."},
		{"not alternating", `{"messages":[` + user + `,` + user + `]}`, "A conversation must alternate between user and assistant roles."},
		{"no role", `{"messages":[{"content":[{"text":"hi"}]}]}`,
			"1 validation error detected: Value null at 'messages.0.member.role' failed to satisfy constraint: Member must not be null"},
		{"bad role", `{"messages":[{"role":"tool","content":[{"text":"hi"}]}]}`,
			"1 validation error detected: Value 'tool' at 'messages.0.member.role' failed to satisfy constraint: Member must satisfy enum value set: [user, assistant, system]"},
		{"system role", `{"messages":[` + user + `,{"role":"system","content":[{"text":"be brief"}]}]}`,
			"The message at messages.1 has the role system"},
		{"empty content", `{"messages":[{"role":"user","content":[]}]}`,
			"The content field in the Message object at messages.0 is empty. Add a ContentBlock object to the content field and try again."},
		{"blank text", `{"messages":[{"role":"user","content":[{"text":"hi"},{"text":" \n"}]}]}`,
			"The text field in the ContentBlock object at messages.0.content.1 is blank. Add text to the text field, and try again."},
		{"anthropic-style block", `{"messages":[{"role":"user","content":[{"type":"text"}]}]}`,
			"The union at 'messages.0.member.content.0.member' sets none of its members."},
		{"two members", `{"messages":[{"role":"user","content":[{"text":"hi","cachePoint":{"type":"default"}}]}]}`,
			"The union at 'messages.0.member.content.0.member' sets 2 members."},
		{"empty system text", `{"system":[{"text":""}],"messages":[` + user + `]}`,
			"1 validation error detected: Value '' at 'system.0.member.text' failed to satisfy constraint: Member must have length greater than or equal to 1"},
		{"max tokens zero", `{"messages":[` + user + `],"inferenceConfig":{"maxTokens":0}}`,
			"1 validation error detected: Value '0' at 'inferenceConfig.maxTokens' failed to satisfy constraint: Member must have value greater than or equal to 1"},
		{"max tokens huge", `{"messages":[` + user + `],"inferenceConfig":{"maxTokens":1000000}}`,
			"The maximum tokens you requested exceeds the model limit of 100000."},
		{"temperature", `{"messages":[` + user + `],"inferenceConfig":{"temperature":1.5}}`,
			"1 validation error detected: Value '1.5' at 'inferenceConfig.temperature' failed to satisfy constraint: Member must have value less than or equal to 1"},
		{"empty stop", `{"messages":[` + user + `],"inferenceConfig":{"stopSequences":["x",""]}}`,
			"at 'inferenceConfig.stopSequences.1.member' failed to satisfy constraint: Member must have length greater than or equal to 1"},
		{"tool blocks without tools", `{"messages":[` + user + `,` + use + `]}`,
			"The toolConfig field must be defined when using toolUse and toolResult content blocks."},
		{"unanswered tool use", `{` + tools + `,"messages":[` + user + `,` + use + `,{"role":"user","content":[` +
			`{"toolResult":{"toolUseId":"t2","content":[{"text":"ok"}]}}]}]}`,
			"Expected toolResult blocks at messages.2.content for the following Ids: t1"},
		{"tool results split", `{` + tools + `,"messages":[` + user + `,` + use + `,{"role":"user","content":[{"text":"first"}]}]}`,
			"Expected toolResult blocks at messages.2.content for the following Ids: t1, t2"},
		{"result without use", `{` + tools + `,"messages":[{"role":"user","content":[` +
			`{"toolResult":{"toolUseId":"t9","content":[{"text":"ok"}]}}]}]}`,
			"The number of toolResult blocks at messages.0.content exceeds the number of toolUse blocks of previous turn."},
		{"arguments as a string", `{` + tools + `,"messages":[` + user + `,{"role":"assistant","content":[` +
			`{"toolUse":{"toolUseId":"t1","name":"f","input":"{\"a\":1}"}}]},{"role":"user","content":[{"text":"x"}]}]}`,
			"The format of the value at messages.1.content.0.toolUse.input is invalid. Provide a json object for the field and try again."},
		{"tool use id pattern", `{` + tools + `,"messages":[` + user + `,{"role":"assistant","content":[` +
			`{"toolUse":{"toolUseId":"call 1","name":"f","input":{}}}]}]}`,
			"1 validation error detected: Value 'call 1' at 'messages.1.member.content.0.member.toolUse.toolUseId' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.:-]+"},
		{"tool result json array", `{` + tools + `,"messages":[` + user + `,{"role":"assistant","content":[` +
			`{"toolUse":{"toolUseId":"t1","name":"f","input":{}}}]},{"role":"user","content":[` +
			`{"toolResult":{"toolUseId":"t1","content":[{"json":[1,2]}]}}]}]}`,
			"The format of the value at messages.2.content.0.toolResult.content.0.json is invalid. Provide a json object for the field and try again."},
		{"error result empty", `{` + tools + `,"messages":[` + user + `,{"role":"assistant","content":[` +
			`{"toolUse":{"toolUseId":"t1","name":"f","input":{}}}]},{"role":"user","content":[` +
			`{"toolResult":{"toolUseId":"t1","content":[],"status":"error"}}]}]}`,
			"The content field at messages.2.content.0.toolResult cannot be empty when status value is error."},
		{"tool name pattern", `{"toolConfig":{"tools":[{"toolSpec":{"name":"get weather","inputSchema":{"json":{}}}}]},"messages":[` + user + `]}`,
			"1 validation error detected: Value 'get weather' at 'toolConfig.tools.0.member.toolSpec.name' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_-]+"},
		{"no tools", `{"toolConfig":{"tools":[]},"messages":[` + user + `]}`,
			"Value '[]' at 'toolConfig.tools' failed to satisfy constraint: Member must have length greater than or equal to 1"},
		{"openai tool shape", `{"toolConfig":{"tools":[{"type":"function","function":{"name":"f"}}]},"messages":[` + user + `]}`,
			"The union at 'toolConfig.tools.0.member' sets none of its members."},
		{"schema not object", `{"toolConfig":{"tools":[{"toolSpec":{"name":"f","inputSchema":{"json":"{}"}}}]},"messages":[` + user + `]}`,
			"The format of the value at toolConfig.tools.0.toolSpec.inputSchema.json is invalid."},
		{"unknown tool choice", `{` + strings.TrimSuffix(tools, "}") + `,"toolChoice":{"tool":{"name":"g"}}},"messages":[` + user + `]}`,
			"The tool g named in toolConfig.toolChoice is not one of the tools in toolConfig.tools."},
		{"empty tool choice", `{` + strings.TrimSuffix(tools, "}") + `,"toolChoice":{}},"messages":[` + user + `]}`,
			"The union at 'toolConfig.toolChoice' sets none of its members."},
		{"image format", `{"messages":[{"role":"user","content":[{"image":{"format":"bmp","source":{"bytes":"AA=="}}}]}]}`,
			"Value 'bmp' at 'messages.0.member.content.0.member.image.format' failed to satisfy constraint: Member must satisfy enum value set: [png, jpeg, gif, webp]"},
		{"image data url", `{"messages":[{"role":"user","content":[{"image":{"format":"png","source":{"bytes":"data:image/png;base64,AA=="}}}]}]}`,
			"Malformed input request: the value at 'messages.0.member.content.0.member.image.source.bytes' is not valid base64"},
		{"schema string invalid", `{"messages":[` + user + `],"outputConfig":{"textFormat":{"type":"json_schema","structure":{"jsonSchema":{"schema":"{"}}}}}`,
			"The value at outputConfig.textFormat.structure.jsonSchema.schema is not a JSON Schema"},
		{"format type", `{"messages":[` + user + `],"outputConfig":{"textFormat":{"type":"json_object"}}}`,
			"Value 'json_object' at 'outputConfig.textFormat.type' failed to satisfy constraint: Member must satisfy enum value set: [json_schema]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, text := converseRaw(t, s.URL, "converse", tc.body)
			var body struct{ Message string }
			if err := json.Unmarshal([]byte(text), &body); err != nil {
				t.Fatalf("%s: %v", text, err)
			}
			if resp.StatusCode != http.StatusBadRequest ||
				resp.Header.Get("X-Amzn-ErrorType") != "ValidationException:http://internal.amazon.com/coral/com.amazon.bedrock/" ||
				!strings.Contains(body.Message, tc.message) {
				t.Errorf("got %d %s %q, want 400 ValidationException containing %q", resp.StatusCode,
					resp.Header.Get("X-Amzn-ErrorType"), body.Message, tc.message)
			}
		})
	}
	if b := s.Billed(); b.Requests != 0 || b.Errors != 0 || b.Throttled != 0 {
		t.Errorf("refused requests were billed: %+v", b)
	}
}

// TestBedrockValidToolTurns checks that conversations Bedrock accepts are
// accepted: parallel tool uses answered in one turn, with text beside them,
// and JSON documents whose keys look like member names in another case.
func TestBedrockValidToolTurns(t *testing.T) {
	s := listen(t, Bedrock, Knobs{})
	body := `{"toolConfig":{"tools":[{"toolSpec":{"name":"f","inputSchema":{"json":{"type":"object",` +
		`"properties":{"Text":{"type":"string"}}}}}}]},"additionalModelRequestFields":{"Messages":1},"messages":[` +
		`{"role":"user","content":[{"text":"call f twice"}]},` +
		`{"role":"assistant","content":[{"text":"on it"},{"toolUse":{"toolUseId":"tooluse_a.1:x","name":"f","input":{}}},` +
		`{"toolUse":{"toolUseId":"t2","name":"f","input":{"Text":"v"}}}]},` +
		`{"role":"user","content":[{"toolResult":{"toolUseId":"t2","content":[{"json":{"Role":1}}],"status":"success"}},` +
		`{"toolResult":{"toolUseId":"tooluse_a.1:x","content":[{"text":"failed"}],"status":"error"}},{"text":"and now?"}]}]}`
	stop, blocks, _ := converseJSON(t, s.URL, body)
	if stop != "end_turn" || len(blocks) != 1 || blocks[0]["text"] == nil {
		t.Errorf("stop %q blocks %v", stop, blocks)
	}
}
