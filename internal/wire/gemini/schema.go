package gemini

import (
	"strings"

	"github.com/tidwall/gjson"
)

// Gemini takes schemas two ways: parametersJsonSchema / responseJsonSchema
// hold JSON Schema, which the canonical form carries and the encoder always
// writes; parameters / responseSchema hold Google's OpenAPI 3.0 subset, with
// upper-case type names, "nullable" and int64 bounds as strings. The request
// decoder turns the latter into the JSON Schema it means.

// appendSchema appends the JSON Schema equivalent of a Gemini OpenAPI schema.
func appendSchema(b []byte, s gjson.Result) []byte {
	if !s.IsObject() {
		return append(b, s.Raw...)
	}
	nullable := false
	s.ForEach(func(k, v gjson.Result) bool {
		if k.Str == "nullable" {
			nullable = v.Type == gjson.True
			return false
		}
		return true
	})
	b = append(b, '{')
	n := 0
	s.ForEach(func(k, v gjson.Result) bool {
		key := camel(k.Str)
		var t string
		switch key {
		case "nullable", "propertyOrdering": // no JSON Schema equivalent; ordering is only a hint
			return true
		case "type":
			t = strings.ToLower(v.String())
			if t == "" || t == "type_unspecified" {
				return true
			}
		}
		if n > 0 {
			b = append(b, ',')
		}
		n++
		b = appendString(b, key)
		b = append(b, ':')
		switch key {
		case "type":
			if nullable && t != "null" {
				b = append(b, '[')
				b = appendString(b, t)
				b = append(b, `,"null"]`...)
			} else {
				b = appendString(b, t)
			}
		case "properties", "patternProperties", "$defs", "definitions":
			if !v.IsObject() {
				b = append(b, v.Raw...)
				break
			}
			b = append(b, '{')
			m := 0
			v.ForEach(func(pk, pv gjson.Result) bool {
				if m > 0 {
					b = append(b, ',')
				}
				m++
				b = appendString(b, pk.Str)
				b = append(b, ':')
				b = appendSchema(b, pv)
				return true
			})
			b = append(b, '}')
		case "items", "additionalProperties", "not":
			b = appendSchema(b, v)
		case "anyOf", "oneOf", "allOf", "prefixItems":
			if !v.IsArray() {
				b = append(b, v.Raw...)
				break
			}
			b = append(b, '[')
			m := 0
			v.ForEach(func(_, item gjson.Result) bool {
				if m > 0 {
					b = append(b, ',')
				}
				m++
				b = appendSchema(b, item)
				return true
			})
			b = append(b, ']')
		case "minItems", "maxItems", "minLength", "maxLength", "minProperties", "maxProperties":
			// int64 fields: proto JSON writes them as strings.
			if v.Type == gjson.String && isDigits(v.Str) {
				b = append(b, v.Str...)
			} else {
				b = append(b, v.Raw...)
			}
		default:
			b = append(b, v.Raw...)
		}
		return true
	})
	return append(b, '}')
}

func isDigits(s string) bool {
	if s == "" || len(s) > 18 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
