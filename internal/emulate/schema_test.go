package emulate

import (
	"encoding/json"
	"fmt"
	"math"
	"net/mail"
	"net/netip"
	"net/url"
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// validate is a small JSON Schema validator covering the keywords the
// generator claims to honour, written independently of it so that the
// generator's output is checked rather than trusted.
func validate(schema, value any) error {
	var root any
	if err := json.Unmarshal([]byte(mustJSON(schema)), &root); err != nil {
		return err
	}
	v := validator{root: root}
	return v.check(root, value, "$", 0)
}

type validator struct{ root any }

func (v *validator) check(s, val any, at string, depth int) error {
	if depth > 64 {
		return fmt.Errorf("%s: schema too deep", at)
	}
	switch s := s.(type) {
	case bool:
		if !s {
			return fmt.Errorf("%s: false schema", at)
		}
		return nil
	case map[string]any:
		return v.object(s, val, at, depth)
	}
	return fmt.Errorf("%s: schema %v is not a schema", at, s)
}

func (v *validator) object(s map[string]any, val any, at string, depth int) error {
	if ref, ok := s["$ref"].(string); ok {
		t, err := v.resolve(ref)
		if err != nil {
			return fmt.Errorf("%s: %w", at, err)
		}
		if err := v.check(t, val, at, depth+1); err != nil {
			return err
		}
	}
	if c, ok := s["const"]; ok && !reflect.DeepEqual(c, val) {
		return fmt.Errorf("%s: %v is not const %v", at, val, c)
	}
	if e, ok := s["enum"].([]any); ok {
		found := false
		for _, x := range e {
			found = found || reflect.DeepEqual(x, val)
		}
		if !found {
			return fmt.Errorf("%s: %v not in enum %v", at, val, e)
		}
	}
	if t, ok := s["type"]; ok {
		var types []any
		if str, ok := t.(string); ok {
			types = []any{str}
		} else {
			types, _ = t.([]any)
		}
		match := false
		for _, ty := range types {
			match = match || hasType(ty.(string), val)
		}
		if !match {
			return fmt.Errorf("%s: %v (%T) is not of type %v", at, val, val, t)
		}
	}
	for _, k := range []string{"allOf", "anyOf", "oneOf"} {
		subs, ok := s[k].([]any)
		if !ok {
			continue
		}
		matched := 0
		var first error
		for _, sub := range subs {
			if err := v.check(sub, val, at, depth+1); err != nil {
				if first == nil {
					first = err
				}
			} else {
				matched++
			}
		}
		switch {
		case k == "allOf" && matched != len(subs):
			return first
		case k == "anyOf" && matched == 0:
			return fmt.Errorf("%s: no anyOf branch: %w", at, first)
		case k == "oneOf" && matched != 1:
			return fmt.Errorf("%s: %d oneOf branches match", at, matched)
		}
	}
	switch x := val.(type) {
	case map[string]any:
		return v.properties(s, x, at, depth)
	case []any:
		return v.items(s, x, at, depth)
	case string:
		return str(s, x, at)
	case float64:
		return number(s, x, at)
	}
	return nil
}

func hasType(t string, val any) bool {
	switch t {
	case "object":
		_, ok := val.(map[string]any)
		return ok
	case "array":
		_, ok := val.([]any)
		return ok
	case "string":
		_, ok := val.(string)
		return ok
	case "number":
		_, ok := val.(float64)
		return ok
	case "integer":
		f, ok := val.(float64)
		return ok && f == math.Trunc(f)
	case "boolean":
		_, ok := val.(bool)
		return ok
	case "null":
		return val == nil
	}
	return false
}

func (v *validator) resolve(ref string) (any, error) {
	if ref == "#" {
		return v.root, nil
	}
	cur := v.root
	for _, tok := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("unresolvable $ref %q", ref)
		}
		if cur, ok = m[tok]; !ok {
			return nil, fmt.Errorf("unresolvable $ref %q", ref)
		}
	}
	return cur, nil
}

func (v *validator) properties(s map[string]any, obj map[string]any, at string, depth int) error {
	props, _ := s["properties"].(map[string]any)
	for _, r := range stringList(s["required"]) {
		if _, ok := obj[r]; !ok {
			return fmt.Errorf("%s: required %q missing", at, r)
		}
	}
	for k, val := range obj {
		if ps, ok := props[k]; ok {
			if err := v.check(ps, val, at+"."+k, depth+1); err != nil {
				return err
			}
		} else if ap, ok := s["additionalProperties"]; ok {
			if err := v.check(ap, val, at+"."+k, depth+1); err != nil {
				return fmt.Errorf("additional property: %w", err)
			}
		}
	}
	if n, ok := s["minProperties"].(float64); ok && float64(len(obj)) < n {
		return fmt.Errorf("%s: %d properties < %v", at, len(obj), n)
	}
	if n, ok := s["maxProperties"].(float64); ok && float64(len(obj)) > n {
		return fmt.Errorf("%s: %d properties > %v", at, len(obj), n)
	}
	return nil
}

func (v *validator) items(s map[string]any, arr []any, at string, depth int) error {
	prefix, _ := s["prefixItems"].([]any)
	items := s["items"]
	if tuple, ok := items.([]any); ok {
		prefix, items = tuple, s["additionalItems"]
	}
	for i, val := range arr {
		sub := items
		if i < len(prefix) {
			sub = prefix[i]
		}
		if sub == nil {
			continue
		}
		if err := v.check(sub, val, fmt.Sprintf("%s[%d]", at, i), depth+1); err != nil {
			return err
		}
	}
	if n, ok := s["minItems"].(float64); ok && float64(len(arr)) < n {
		return fmt.Errorf("%s: %d items < %v", at, len(arr), n)
	}
	if n, ok := s["maxItems"].(float64); ok && float64(len(arr)) > n {
		return fmt.Errorf("%s: %d items > %v", at, len(arr), n)
	}
	if u, _ := s["uniqueItems"].(bool); u {
		for i := range arr {
			for j := range i {
				if reflect.DeepEqual(arr[i], arr[j]) {
					return fmt.Errorf("%s: items %d and %d are equal", at, j, i)
				}
			}
		}
	}
	return nil
}

var hostname = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$`)
var uuidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

func str(s map[string]any, x, at string) error {
	n := utf8.RuneCountInString(x)
	if m, ok := s["minLength"].(float64); ok && float64(n) < m {
		return fmt.Errorf("%s: %q shorter than %v", at, x, m)
	}
	if m, ok := s["maxLength"].(float64); ok && float64(n) > m {
		return fmt.Errorf("%s: %q longer than %v", at, x, m)
	}
	var err error
	switch s["format"] {
	case "date":
		_, err = time.Parse(time.DateOnly, x)
	case "date-time":
		_, err = time.Parse(time.RFC3339, x)
	case "time":
		_, err = time.Parse("15:04:05Z07:00", x)
	case "email":
		_, err = mail.ParseAddress(x)
	case "uri":
		var u *url.URL
		if u, err = url.Parse(x); err == nil && (u.Scheme == "" || u.Host == "") {
			err = fmt.Errorf("not absolute")
		}
	case "hostname":
		if !hostname.MatchString(x) {
			err = fmt.Errorf("not a hostname")
		}
	case "ipv4":
		var a netip.Addr
		if a, err = netip.ParseAddr(x); err == nil && !a.Is4() {
			err = fmt.Errorf("not ipv4")
		}
	case "ipv6":
		var a netip.Addr
		if a, err = netip.ParseAddr(x); err == nil && !a.Is6() {
			err = fmt.Errorf("not ipv6")
		}
	case "uuid":
		if !uuidRE.MatchString(x) {
			err = fmt.Errorf("not a v4 uuid")
		}
	}
	if err != nil {
		return fmt.Errorf("%s: %q is not a %v: %w", at, x, s["format"], err)
	}
	return nil
}

func number(s map[string]any, x float64, at string) error {
	if m, ok := s["minimum"].(float64); ok {
		if ex, _ := s["exclusiveMinimum"].(bool); ex && x <= m || x < m {
			return fmt.Errorf("%s: %v below minimum %v", at, x, m)
		}
	}
	if m, ok := s["maximum"].(float64); ok {
		if ex, _ := s["exclusiveMaximum"].(bool); ex && x >= m || x > m {
			return fmt.Errorf("%s: %v above maximum %v", at, x, m)
		}
	}
	if m, ok := s["exclusiveMinimum"].(float64); ok && x <= m {
		return fmt.Errorf("%s: %v not above %v", at, x, m)
	}
	if m, ok := s["exclusiveMaximum"].(float64); ok && x >= m {
		return fmt.Errorf("%s: %v not below %v", at, x, m)
	}
	if m, ok := s["multipleOf"].(float64); ok {
		q := x / m
		if math.Abs(q-math.Round(q)) > 1e-9*math.Max(1, math.Abs(q)) {
			return fmt.Errorf("%s: %v not a multiple of %v", at, x, m)
		}
	}
	return nil
}

// schemaCases are the fixtures in testdata/schemas.json.
func schemaCases(t testing.TB) []struct {
	Name   string
	Schema json.RawMessage
} {
	data, err := os.ReadFile("testdata/schemas.json")
	if err != nil {
		t.Fatal(err)
	}
	var cases []struct {
		Name   string
		Schema json.RawMessage
	}
	if err := json.Unmarshal(data, &cases); err != nil {
		t.Fatal(err)
	}
	return cases
}

func TestSchemaValues(t *testing.T) {
	for _, tc := range schemaCases(t) {
		t.Run(tc.Name, func(t *testing.T) {
			var schema any
			if err := json.Unmarshal(tc.Schema, &schema); err != nil {
				t.Fatal(err)
			}
			// Different seeds take different branches through the draws.
			for seed := range uint64(20) {
				out := appendSchemaValue(nil, tc.Schema, &rng{seed})
				var v any
				if err := json.Unmarshal(out, &v); err != nil {
					t.Fatalf("seed %d: invalid JSON %s: %v", seed, out, err)
				}
				if err := validate(schema, v); err != nil {
					t.Fatalf("seed %d: %s: %v", seed, out, err)
				}
				again := appendSchemaValue(nil, tc.Schema, &rng{seed})
				if string(again) != string(out) {
					t.Fatalf("seed %d: not deterministic: %s then %s", seed, out, again)
				}
			}
		})
	}
}

// TestSchemaRecursive checks that schemas without a finite expansion of
// their optional parts still end.
func TestSchemaRecursive(t *testing.T) {
	for _, s := range []string{
		`{"$ref":"#"}`,
		`{"type":"object","properties":{"next":{"$ref":"#"}}}`,
		`{"allOf":[{"$ref":"#"}]}`,
		`{"$defs":{"a":{"$ref":"#/$defs/b"},"b":{"$ref":"#/$defs/a"}},"$ref":"#/$defs/a"}`,
		`{"type":"object","required":["child"],"properties":{"child":{"anyOf":[{"$ref":"#"},{"type":"null"}]}}}`,
	} {
		out := appendSchemaValue(nil, []byte(s), &rng{1})
		if !json.Valid(out) {
			t.Errorf("%s: invalid JSON %s", s, out)
		}
	}
}
