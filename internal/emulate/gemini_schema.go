package emulate

import (
	"encoding/json"
	"strconv"
	"strings"
)

// Gemini's parameters and responseSchema are its own Schema message, an
// OpenAPI subset with upper-case types (OBJECT, STRING, …): members outside
// it, such as additionalProperties or $ref, are unknown names and refused,
// which is the first thing a translator from JSON Schema gets wrong.
// geminiSchema checks one and rewrites it as the JSON Schema that the
// package's generator reads.

var geminiSchemaFields = geminiFieldSet("type", "format", "title", "description", "nullable", "enum",
	"maxItems", "minItems", "properties", "required", "minProperties", "maxProperties", "minLength",
	"maxLength", "pattern", "example", "anyOf", "propertyOrdering", "default", "items", "minimum", "maximum")

var geminiSchemaTypes = []string{"TYPE_UNSPECIFIED", "STRING", "NUMBER", "INTEGER", "BOOLEAN", "ARRAY", "OBJECT", "NULL"}

// geminiSchemaDepth bounds nesting, so that no request can exhaust the stack.
const geminiSchemaDepth = 64

// geminiSchema checks the Schema raw at path at and returns it as JSON Schema.
func geminiSchema(raw json.RawMessage, at string) ([]byte, *geminiError) {
	s, err := geminiSchemaNode(raw, at, 0)
	if err != nil {
		return nil, err
	}
	b, merr := json.Marshal(s)
	if merr != nil {
		return nil, geminiRule(at, "schema cannot be encoded: %v", merr)
	}
	return b, nil
}

func geminiSchemaNode(raw json.RawMessage, at string, depth int) (map[string]any, *geminiError) {
	if depth > geminiSchemaDepth {
		return nil, geminiRule(at, "schema is nested too deeply")
	}
	o, err := decodeProto(raw, at, "Schema", geminiSchemaFields)
	if err != nil {
		return nil, err
	}
	out := map[string]any{}
	typ, err := o.enum("type", "Type", geminiSchemaTypes...)
	if err != nil {
		return nil, err
	}
	if typ != "" && typ != "TYPE_UNSPECIFIED" {
		out["type"] = strings.ToLower(typ)
	}
	for _, name := range []string{"format", "title", "description", "pattern"} {
		v, err := o.str(name)
		if err != nil {
			return nil, err
		}
		if v != "" && name != "pattern" { // the generator cannot honour a pattern
			out[name] = v
		}
	}
	if _, err := o.boolean("nullable"); err != nil {
		return nil, err
	}
	enum, err := o.strings("enum")
	if err != nil {
		return nil, err
	}
	if len(enum) > 0 {
		out["enum"] = enum
	}
	for _, name := range []string{"maxItems", "minItems", "minProperties", "maxProperties", "minLength", "maxLength"} {
		v, ok, err := o.integer(name, "TYPE_INT64")
		if err != nil {
			return nil, err
		}
		if ok {
			out[name] = v
		}
	}
	for _, name := range []string{"minimum", "maximum"} {
		v, ok, err := o.number(name)
		if err != nil {
			return nil, err
		}
		if ok {
			out[name] = v
		}
	}
	if _, err := o.strings("propertyOrdering"); err != nil {
		return nil, err
	}

	required, err := o.strings("required")
	if err != nil {
		return nil, err
	}
	var props map[string]json.RawMessage
	if raw, ok := o.m["properties"]; ok {
		if jsonKind(raw) != "an object" || json.Unmarshal(raw, &props) != nil {
			return nil, geminiBadValue(o.path("properties"), geminiType("Schema"), raw)
		}
		converted := make(map[string]any, len(props))
		for name, ps := range props {
			c, err := geminiSchemaNode(ps, o.path("properties")+"["+strconv.Quote(name)+"].value", depth+1)
			if err != nil {
				return nil, err
			}
			converted[name] = c
		}
		out["properties"] = converted
	}
	if typ == "OBJECT" && len(props) == 0 {
		return nil, geminiRule(o.path("properties"), "should be non-empty for OBJECT type")
	}
	for i, name := range required {
		if _, ok := props[name]; !ok {
			return nil, geminiRule(o.path("required")+"["+strconv.Itoa(i)+"]", "property is not defined")
		}
	}
	if len(required) > 0 {
		out["required"] = required
	}
	if raw, ok := o.m["items"]; ok {
		c, err := geminiSchemaNode(raw, o.path("items"), depth+1)
		if err != nil {
			return nil, err
		}
		out["items"] = c
	}
	anyOf, err := o.list("anyOf", geminiType("Schema"))
	if err != nil {
		return nil, err
	}
	if len(anyOf) > 0 {
		branches := make([]any, len(anyOf))
		for i, raw := range anyOf {
			c, err := geminiSchemaNode(raw, o.path("anyOf")+"["+strconv.Itoa(i)+"]", depth+1)
			if err != nil {
				return nil, err
			}
			branches[i] = c
		}
		out["anyOf"] = branches
	}
	return out, nil
}
