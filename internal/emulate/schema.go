package emulate

import (
	"bytes"
	"encoding/json"
	"math"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// Bounds on the walk through a schema. Past schemaSoftDepth only required
// properties and minItems items are generated, and anyOf prefers a null
// branch, so that recursive schemas (trees, linked lists) end; past
// schemaHardDepth a value is cut short as null.
const (
	schemaSoftDepth  = 6
	schemaHardDepth  = 32
	schemaMaxRewrite = 64   // $ref, allOf, anyOf and oneOf rewrites of one node
	schemaMaxItems   = 1024 // items of one array, whatever minItems says
	schemaMaxLength  = 4096 // bytes of one string, whatever minLength says
	schemaUniqueTry  = 8    // attempts to draw an item unlike the others
)

// appendSchemaValue appends to b a JSON value that validates against the JSON
// Schema in schema, drawing its free choices from r.
//
// It understands type (also as a list: the first non-null type wins), const
// and enum (the first value), properties and required (all properties are
// generated, required or not), additionalProperties, min/maxProperties, items,
// prefixItems, min/maxItems, uniqueItems, min/maxLength, the formats date,
// date-time, time, email, uri, hostname, ipv4, ipv6, uuid and duration,
// minimum, maximum, exclusiveMinimum and exclusiveMaximum (numbers and draft-4
// booleans), multipleOf, anyOf and oneOf (the first branch), allOf (merged),
// and local $ref ("#", "#/$defs/…", "#/definitions/…", any JSON pointer).
// Without a type it infers one from the keywords present, else makes a
// string (an object at the root of appendObjectValue). It does not honour pattern, not, if/then/else, contains or
// dependent keywords.
func appendSchemaValue(b []byte, schema []byte, r *rng) []byte {
	return appendSchema(b, schema, r, false)
}

// appendObjectValue is appendSchemaValue for schemas of tool arguments and
// structured outputs, whose root is an object: a root that says nothing of
// its type, such as {}, makes an object rather than a string.
func appendObjectValue(b []byte, schema []byte, r *rng) []byte {
	return appendSchema(b, schema, r, true)
}

func appendSchema(b []byte, schema []byte, r *rng, object bool) []byte {
	dec := json.NewDecoder(bytes.NewReader(schema))
	dec.UseNumber() // keeps const and enum values exactly as written
	var root any
	if err := dec.Decode(&root); err != nil {
		return append(b, "{}"...)
	}
	g := schemaGen{root: root, r: r, objectRoot: object}
	return g.value(b, root, 0)
}

// schemaGen walks one schema.
type schemaGen struct {
	root       any
	r          *rng
	objectRoot bool // an untyped root is an object
}

func (g *schemaGen) value(b []byte, s any, depth int) []byte {
	if depth > schemaHardDepth {
		return append(b, "null"...)
	}
	m, ok := s.(map[string]any)
	if !ok {
		if v, isBool := s.(bool); isBool && !v {
			return append(b, "null"...) // nothing validates against false
		}
		if depth == 0 && g.objectRoot {
			return append(b, "{}"...)
		}
		return g.str(b, nil) // true, or not a schema: anything goes
	}
	m = g.resolve(m, depth)
	if v, ok := m["const"]; ok {
		return appendJSONValue(b, v)
	}
	if e, ok := m["enum"].([]any); ok && len(e) > 0 {
		return appendJSONValue(b, e[0])
	}
	t := schemaType(m)
	if t == "" && depth == 0 && g.objectRoot {
		t = "object"
	}
	switch t {
	case "object":
		return g.object(b, m, depth)
	case "array":
		return g.array(b, m, depth)
	case "integer":
		return g.integer(b, m)
	case "number":
		return g.number(b, m)
	case "boolean":
		return strconv.AppendBool(b, g.r.next()&1 == 1)
	case "null":
		return append(b, "null"...)
	default:
		return g.str(b, m)
	}
}

// resolve rewrites m until it has no $ref, allOf, anyOf or oneOf left at its
// top level: a reference is replaced by its target merged with m's other
// keywords, allOf by the merge of its members, anyOf and oneOf by their first
// branch merged with m's other keywords.
func (g *schemaGen) resolve(m map[string]any, depth int) map[string]any {
	for range schemaMaxRewrite {
		switch {
		case has(m, "$ref"):
			ref, _ := m["$ref"].(string)
			rest := without(m, "$ref")
			if t, ok := g.lookup(ref).(map[string]any); ok {
				m = mergeSchemas(t, rest)
			} else {
				m = rest
			}
		case has(m, "allOf"):
			subs, _ := m["allOf"].([]any)
			merged := without(m, "allOf")
			for _, s := range subs {
				if sm, ok := s.(map[string]any); ok {
					merged = mergeSchemas(merged, sm)
				}
			}
			m = merged
		case has(m, "anyOf"):
			m = g.branch(m, "anyOf", depth)
		case has(m, "oneOf"):
			m = g.branch(m, "oneOf", depth)
		default:
			return m
		}
	}
	return without(without(without(without(m, "$ref"), "allOf"), "anyOf"), "oneOf")
}

// branch replaces m's alternatives under key by one of them: the first, or
// deep in a recursive schema a null branch when there is one, so that the
// recursion ends.
func (g *schemaGen) branch(m map[string]any, key string, depth int) map[string]any {
	alts, _ := m[key].([]any)
	rest := without(m, key)
	if len(alts) == 0 {
		return rest
	}
	pick := alts[0]
	if depth >= schemaSoftDepth {
		for _, a := range alts {
			if am, ok := a.(map[string]any); ok && schemaType(am) == "null" && !has(am, "$ref") {
				pick = a
				break
			}
		}
	}
	if pm, ok := pick.(map[string]any); ok {
		return mergeSchemas(rest, pm)
	}
	return rest
}

// lookup resolves a local reference: "#" or a JSON pointer fragment.
func (g *schemaGen) lookup(ref string) any {
	if ref == "#" {
		return g.root
	}
	path, ok := strings.CutPrefix(ref, "#/")
	if !ok {
		return nil // remote references are out of reach
	}
	cur := g.root
	for tok := range strings.SplitSeq(path, "/") {
		if u, err := url.PathUnescape(tok); err == nil {
			tok = u
		}
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		switch c := cur.(type) {
		case map[string]any:
			cur = c[tok]
		case []any:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(c) {
				return nil
			}
			cur = c[i]
		default:
			return nil
		}
	}
	return cur
}

// schemaType returns the type a value for m should have, declared or
// inferred from its keywords, or "" when m says nothing about it.
func schemaType(m map[string]any) string {
	switch t := m["type"].(type) {
	case string:
		return t
	case []any:
		for _, x := range t {
			if s, ok := x.(string); ok && s != "null" {
				return s
			}
		}
		if len(t) > 0 {
			return "null"
		}
	}
	for _, k := range [...]struct{ keyword, typ string }{
		{"properties", "object"}, {"required", "object"}, {"additionalProperties", "object"},
		{"minProperties", "object"}, {"maxProperties", "object"},
		{"items", "array"}, {"prefixItems", "array"}, {"minItems", "array"}, {"maxItems", "array"},
		{"minimum", "number"}, {"maximum", "number"}, {"exclusiveMinimum", "number"},
		{"exclusiveMaximum", "number"}, {"multipleOf", "number"},
	} {
		if has(m, k.keyword) {
			return k.typ
		}
	}
	return "" // nothing says: a string will do
}

func (g *schemaGen) object(b []byte, m map[string]any, depth int) []byte {
	props, _ := m["properties"].(map[string]any)
	required := stringList(m["required"])
	deep := depth >= schemaSoftDepth

	var names []string
	for _, n := range required {
		if !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	var optional []string
	if !deep {
		for n, s := range props {
			if v, ok := s.(bool); ok && !v {
				continue // a property that must be absent
			}
			if !slices.Contains(names, n) {
				optional = append(optional, n)
			}
		}
		slices.Sort(optional)
	}
	if maxP, ok := intKeyword(m, "maxProperties"); ok && len(names)+len(optional) > maxP {
		optional = optional[:max(0, maxP-len(names))]
	}
	names = append(names, optional...)

	extra := m["additionalProperties"]
	if minP, ok := intKeyword(m, "minProperties"); ok {
		if v, isBool := extra.(bool); !isBool || v {
			for i := 1; len(names) < min(minP, schemaMaxItems); i++ {
				n := "extra_" + strconv.Itoa(i)
				if !slices.Contains(names, n) {
					names = append(names, n)
				}
			}
		}
	}

	slices.Sort(names)
	b = append(b, '{')
	for i, n := range names {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, n)
		b = append(b, ':')
		s, ok := props[n]
		if !ok {
			s = extra // nil or true: a string will do
		}
		b = g.value(b, s, depth+1)
	}
	return append(b, '}')
}

func (g *schemaGen) array(b []byte, m map[string]any, depth int) []byte {
	var prefix []any
	var items any
	switch it := m["items"].(type) {
	case []any: // draft 4 to 7 tuples
		prefix, items = it, m["additionalItems"]
	default:
		items = it
		prefix, _ = m["prefixItems"].([]any)
	}
	count := 1
	if depth >= schemaSoftDepth {
		count = 0
	}
	if minI, ok := intKeyword(m, "minItems"); ok {
		count = max(count, minI)
	}
	if maxI, ok := intKeyword(m, "maxItems"); ok {
		count = min(count, maxI)
	}
	if v, ok := items.(bool); ok && !v {
		count = min(count, len(prefix)) // nothing may follow the tuple
	}
	count = min(count, schemaMaxItems)
	unique, _ := m["uniqueItems"].(bool)

	b = append(b, '[')
	var starts []int // where each item begins in b, to compare them
	for i := range count {
		if i > 0 {
			b = append(b, ',')
		}
		s := items
		if i < len(prefix) {
			s = prefix[i]
		}
		start := len(b)
		for try := 0; ; try++ {
			b = g.value(b[:start], s, depth+1)
			if !unique || try == schemaUniqueTry || !repeats(b, starts, start) {
				break
			}
		}
		starts = append(starts, start)
	}
	return append(b, ']')
}

// repeats reports whether the item b[start:] equals an earlier item.
func repeats(b []byte, starts []int, start int) bool {
	item := b[start:]
	for i, s := range starts {
		end := start - 1 // the comma before the new item
		if i+1 < len(starts) {
			end = starts[i+1] - 1
		}
		if bytes.Equal(b[s:end], item) {
			return true
		}
	}
	return false
}

// bounds are the numeric limits of a schema.
type bounds struct {
	lo, hi       float64
	hasLo, hasHi bool
	exLo, exHi   bool
}

func numericBounds(m map[string]any) bounds {
	var bd bounds
	if v, ok := numKeyword(m, "minimum"); ok {
		bd.lo, bd.hasLo = v, true
	}
	if v, ok := numKeyword(m, "maximum"); ok {
		bd.hi, bd.hasHi = v, true
	}
	switch ex := m["exclusiveMinimum"].(type) {
	case bool: // draft 4
		bd.exLo = ex && bd.hasLo
	default:
		if v, ok := numKeyword(m, "exclusiveMinimum"); ok && (!bd.hasLo || v >= bd.lo) {
			bd.lo, bd.hasLo, bd.exLo = v, true, true
		}
	}
	switch ex := m["exclusiveMaximum"].(type) {
	case bool:
		bd.exHi = ex && bd.hasHi
	default:
		if v, ok := numKeyword(m, "exclusiveMaximum"); ok && (!bd.hasHi || v <= bd.hi) {
			bd.hi, bd.hasHi, bd.exHi = v, true, true
		}
	}
	return bd
}

// maxExactInt bounds generated integers to those a float64 holds exactly.
const maxExactInt = 1 << 53

func (g *schemaGen) integer(b []byte, m map[string]any) []byte {
	bd := numericBounds(m)
	lo, hi := math.Inf(-1), math.Inf(1)
	if bd.hasLo {
		lo = math.Ceil(bd.lo)
		if bd.exLo && lo == bd.lo {
			lo++
		}
	}
	if bd.hasHi {
		hi = math.Floor(bd.hi)
		if bd.exHi && hi == bd.hi {
			hi--
		}
	}
	switch {
	case !bd.hasLo && !bd.hasHi:
		lo, hi = 1, 100
	case !bd.hasLo:
		lo = min(1, hi)
	case !bd.hasHi:
		hi = lo + 99
	}
	// Beyond the exactly representable integers, a bound is its own example.
	if lo > maxExactInt {
		return appendFloat(b, lo)
	}
	if hi < -maxExactInt {
		return appendFloat(b, hi)
	}
	lo = max(lo, -maxExactInt)
	hi = min(hi, maxExactInt)

	if step, ok := numKeyword(m, "multipleOf"); ok && step > 0 && step == math.Trunc(step) && step <= maxExactInt {
		k0, k1 := math.Ceil(lo/step), math.Floor(hi/step)
		k := k0
		if k1 > k0 {
			k += float64(g.r.intn(uint64(min(k1-k0, maxExactInt)) + 1))
		}
		return strconv.AppendInt(b, int64(k*step), 10)
	}
	v := lo
	if hi > lo {
		v += float64(g.r.intn(uint64(hi-lo) + 1))
	}
	return strconv.AppendInt(b, int64(v), 10)
}

func (g *schemaGen) number(b []byte, m map[string]any) []byte {
	bd := numericBounds(m)
	lo, hi := bd.lo, bd.hi
	switch {
	case !bd.hasLo && !bd.hasHi:
		lo, hi = 0, 100
	case !bd.hasLo && hi > 0:
		lo = 0
	case !bd.hasLo:
		lo = hi - 100
	case !bd.hasHi:
		hi = lo + 100
	}
	inside := func(v float64) bool {
		return (v > lo || !bd.exLo && v == lo) && (v < hi || !bd.exHi && v == hi)
	}

	if step, ok := numKeyword(m, "multipleOf"); ok && step > 0 && !math.IsInf(step, 0) {
		k0, k1 := math.Ceil(lo/step), math.Floor(hi/step)
		if bd.exLo && k0*step <= lo {
			k0++
		}
		if bd.exHi && k1*step >= hi {
			k1--
		}
		k := k0
		if k1 > k0 {
			k += float64(g.r.intn(uint64(min(k1-k0, 1e6)) + 1))
		}
		// Print with the step's own decimals, so that 3 × 0.1 reads 0.3.
		return strconv.AppendFloat(b, k*step, 'f', decimals(step), 64)
	}
	v := lo + g.r.float()*(hi-lo)
	if r := math.Round(v*100) / 100; inside(r) {
		v = r // two decimals look like data, not noise
	}
	if !inside(v) {
		v = lo + (hi-lo)/2
	}
	return appendFloat(b, v)
}

// decimals returns how many digits follow the point in the shortest form of v.
func decimals(v float64) int {
	s := strconv.FormatFloat(v, 'f', -1, 64)
	if i := strings.IndexByte(s, '.'); i >= 0 {
		return len(s) - i - 1
	}
	return 0
}

// appendFloat appends v as a JSON number.
func appendFloat(b []byte, v float64) []byte {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return append(b, '0')
	}
	if a := math.Abs(v); a != 0 && (a < 1e-6 || a >= 1e21) {
		return strconv.AppendFloat(b, v, 'e', -1, 64)
	}
	return strconv.AppendFloat(b, v, 'f', -1, 64)
}

func (g *schemaGen) str(b []byte, m map[string]any) []byte {
	if f, ok := m["format"].(string); ok {
		if out, ok := g.format(b, f); ok {
			return out
		}
	}
	minLen, _ := intKeyword(m, "minLength")
	minLen = min(minLen, schemaMaxLength)
	maxLen, hasMax := intKeyword(m, "maxLength")

	b = append(b, '"')
	start := len(b)
	for i, n := 0, 1+int(g.r.intn(3)); i < n || len(b)-start < minLen; i++ {
		if i > 0 {
			b = append(b, ' ')
		}
		b = append(b, g.r.word()...)
	}
	if hasMax && len(b)-start > maxLen {
		b = b[:start+maxLen]
		if maxLen > 0 && b[len(b)-1] == ' ' {
			b[len(b)-1] = 'a' // no dangling space
		}
	}
	return append(b, '"')
}

// format appends a valid-looking string in format f, or reports that it
// does not know f.
func (g *schemaGen) format(b []byte, f string) ([]byte, bool) {
	r := g.r
	pad := func(b []byte, v uint64, width int) []byte {
		s := strconv.FormatUint(v, 10)
		for range width - len(s) {
			b = append(b, '0')
		}
		return append(b, s...)
	}
	date := func(b []byte) []byte {
		b = pad(b, 2020+r.intn(10), 4)
		b = append(b, '-')
		b = pad(b, 1+r.intn(12), 2)
		b = append(b, '-')
		return pad(b, 1+r.intn(28), 2)
	}
	clock := func(b []byte) []byte {
		b = pad(b, r.intn(24), 2)
		b = append(b, ':')
		b = pad(b, r.intn(60), 2)
		b = append(b, ':')
		b = pad(b, r.intn(60), 2)
		return append(b, 'Z')
	}
	b = append(b, '"')
	switch f {
	case "date":
		b = date(b)
	case "date-time":
		b = clock(append(date(b), 'T'))
	case "time":
		b = clock(b)
	case "email", "idn-email":
		b = append(b, r.word()...)
		b = append(b, '.')
		b = append(b, r.word()...)
		b = append(b, "@example.com"...)
	case "uri", "url", "iri", "uri-reference", "iri-reference":
		b = append(b, "https://example.com/"...)
		b = append(b, r.word()...)
	case "hostname", "idn-hostname":
		b = append(b, r.word()...)
		b = append(b, ".example.com"...)
	case "ipv4":
		b = append(b, "192.0.2."...)
		b = strconv.AppendUint(b, 1+r.intn(254), 10)
	case "ipv6":
		b = append(b, "2001:db8::"...)
		b = strconv.AppendUint(b, 1+r.intn(0xfffe), 16)
	case "uuid":
		b = appendUUID(b, r.next(), r.next())
	case "duration":
		b = append(b, 'P')
		b = strconv.AppendUint(b, 1+r.intn(30), 10)
		b = append(b, 'D')
	default:
		return b[:len(b)-1], false
	}
	return append(b, '"'), true
}

// mergeSchemas returns the conjunction of two object-level schemas, as far as
// generation needs it: properties are united (a property in both must satisfy
// both), required lists joined, types intersected, bounds tightened. For any
// other keyword a's value wins.
func mergeSchemas(a, b map[string]any) map[string]any {
	out := make(map[string]any, len(a)+len(b))
	for k, v := range a {
		out[k] = v
	}
	for k, bv := range b {
		av, ok := out[k]
		if !ok {
			out[k] = bv
			continue
		}
		switch k {
		case "properties":
			ap, _ := av.(map[string]any)
			bp, _ := bv.(map[string]any)
			props := make(map[string]any, len(ap)+len(bp))
			for n, s := range ap {
				props[n] = s
			}
			for n, s := range bp {
				if prev, ok := props[n]; ok {
					props[n] = map[string]any{"allOf": []any{prev, s}}
				} else {
					props[n] = s
				}
			}
			out[k] = props
		case "required":
			req := stringList(av)
			for _, n := range stringList(bv) {
				if !slices.Contains(req, n) {
					req = append(req, n)
				}
			}
			list := make([]any, len(req))
			for i, n := range req {
				list[i] = n
			}
			out[k] = list
		case "allOf":
			al, _ := av.([]any)
			bl, _ := bv.([]any)
			out[k] = append(slices.Clip(al), bl...)
		case "type":
			out[k] = intersectTypes(av, bv)
		case "minimum", "exclusiveMinimum", "minLength", "minItems", "minProperties":
			x, okA := toFloat(av)
			y, okB := toFloat(bv)
			if okA && okB && y > x {
				out[k] = bv
			}
		case "maximum", "exclusiveMaximum", "maxLength", "maxItems", "maxProperties":
			x, okA := toFloat(av)
			y, okB := toFloat(bv)
			if okA && okB && y < x {
				out[k] = bv
			}
		}
	}
	return out
}

// intersectTypes returns the types allowed by both a and b, or b's when
// they share none (the schema then has no instance; generate something).
func intersectTypes(a, b any) any {
	list := func(t any) []string {
		switch t := t.(type) {
		case string:
			return []string{t}
		default:
			return stringList(t)
		}
	}
	bs := list(b)
	var both []any
	for _, t := range list(a) {
		if slices.Contains(bs, t) || t == "integer" && slices.Contains(bs, "number") {
			both = append(both, t)
		} else if t == "number" && slices.Contains(bs, "integer") {
			both = append(both, "integer")
		}
	}
	if len(both) == 0 {
		return b
	}
	return both
}

func has(m map[string]any, k string) bool {
	_, ok := m[k]
	return ok
}

// without returns m without key k, copying only when k is present.
func without(m map[string]any, k string) map[string]any {
	if !has(m, k) {
		return m
	}
	out := make(map[string]any, len(m)-1)
	for key, v := range m {
		if key != k {
			out[key] = v
		}
	}
	return out
}

func stringList(v any) []string {
	l, _ := v.([]any)
	out := make([]string, 0, len(l))
	for _, x := range l {
		if s, ok := x.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

func toFloat(v any) (float64, bool) {
	switch n := v.(type) {
	case json.Number:
		f, err := n.Float64()
		return f, err == nil && !math.IsInf(f, 0)
	case float64:
		return n, true
	}
	return 0, false
}

func numKeyword(m map[string]any, k string) (float64, bool) {
	return toFloat(m[k])
}

// intKeyword reads a non-negative integer keyword such as minItems.
func intKeyword(m map[string]any, k string) (int, bool) {
	f, ok := toFloat(m[k])
	if !ok || f < 0 {
		return 0, false
	}
	return int(min(f, math.MaxInt32)), true
}

// appendJSONValue appends a value decoded from the schema.
func appendJSONValue(b []byte, v any) []byte {
	out, err := json.Marshal(v)
	if err != nil {
		return append(b, "null"...)
	}
	return append(b, out...)
}
