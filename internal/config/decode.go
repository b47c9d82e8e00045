package config

import (
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/switchyard/switchyard/internal/money"
)

// decoder fills Go values from a yaml.Node tree. yaml.v3's own decoder stops
// at the first unknown key (when asked to check at all), reports "line N"
// without a column or key path, and expands ${ENV} nowhere; this one reports
// every problem with its position and path, and expands each string scalar
// as it is read.
//
// It is driven by the `yaml` struct tags, so fields that later issues add to
// the config types are decoded without changes here.
type decoder struct {
	file   string
	lookup func(string) (string, bool)
	errs   Errors

	// fields records, for every key path decoded, where its value was
	// written and whether it came from the environment. Validate uses it to
	// point at the exact line and to keep secrets out of messages.
	fields map[string]fieldInfo
	// bad holds the paths that failed to decode, so Validate does not pile
	// "is required" on top of "environment variable X is not set".
	bad map[string]bool

	// active holds the anchors being decoded, to reject an alias to its own
	// enclosing node instead of recursing forever.
	active map[*yaml.Node]bool
	// budget bounds the nodes visited, so a few aliases that refer to lists
	// of aliases cannot make a small file expand into a huge config.
	budget int
}

// nodeBudget is how many nodes Parse visits at most: far more than a real
// config has, and more than data can hold without aliases, since every node
// takes at least one byte.
func nodeBudget(data []byte) int { return 100_000 + len(data) }

// spend takes one node from the budget, reporting once when it runs out.
func (d *decoder) spend(n *yaml.Node, path string) bool {
	d.budget--
	if d.budget == -1 {
		d.fail(n, path, "aliases expand to too many values; is an anchor used inside its own expansion?")
		// What was decoded is cut off at random: validating it would
		// only bury this error.
		d.bad[""] = true
	}
	return d.budget >= 0
}

// fieldInfo is what Parse remembers about one key path.
type fieldInfo struct {
	Pos     Pos
	FromEnv bool
}

// given is implemented by config structs that must tell an omitted field from
// one given as zero; the decoder calls it with each key present in YAML.
type given interface {
	given(key string)
}

func (d *Deployment) given(key string) {
	switch key {
	case "priority":
		d.PrioritySet = true
	case "weight":
		d.WeightSet = true
	}
}

var (
	posType        = reflect.TypeFor[Pos]()
	durationType   = reflect.TypeFor[Duration]()
	sizeType       = reflect.TypeFor[Size]()
	priceType      = reflect.TypeFor[money.Price]()
	priceSpecType  = reflect.TypeFor[Price]()
	nanosType      = reflect.TypeFor[money.Nanos]()
	timeType       = reflect.TypeFor[time.Time]()
	unmarshalerTyp = reflect.TypeFor[yaml.Unmarshaler]()
)

// errorf records a problem with the mapping at path, such as an unknown key.
func (d *decoder) errorf(n *yaml.Node, path, format string, args ...any) {
	d.errs = append(d.errs, &Error{File: d.file, Line: n.Line, Column: n.Column, Key: path, Msg: fmt.Sprintf(format, args...)})
}

// fail records that the value at path could not be decoded.
func (d *decoder) fail(n *yaml.Node, path, format string, args ...any) {
	d.errorf(n, path, format, args...)
	d.bad[path] = true
}

// value decodes n into v, which must be settable. A YAML null leaves v as it
// is, exactly as if the key were omitted.
func (d *decoder) value(n *yaml.Node, path string, v reflect.Value) {
	if !d.spend(n, path) {
		return
	}
	if _, ok := d.fields[path]; !ok && path != "" {
		// For an alias, Validate points at where it is used.
		d.fields[path] = fieldInfo{Pos: Pos{n.Line, n.Column}}
	}
	if n.Kind == yaml.AliasNode {
		target := n.Alias
		if d.active[target] {
			d.fail(n, path, "alias *%s refers to the node that contains it", n.Value)
			return
		}
		d.active[target] = true
		d.value(target, path, v)
		delete(d.active, target)
		return
	}
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" {
		return
	}

	t := v.Type()
	switch {
	case t == priceSpecType:
		// A scalar, a mapping or a list: see Price.
		d.price(n, path, v.Addr().Interface().(*Price))
		return
	case t == durationType || t == sizeType || t == priceType || t == nanosType || t == timeType:
		d.unit(n, path, v)
		return
	case reflect.PointerTo(t).Implements(unmarshalerTyp):
		// A type added later with its own YAML syntax. Scalars are
		// expanded first, like every other string in the config.
		var s string
		if n.Kind == yaml.ScalarNode {
			var ok bool
			if s, ok = d.scalar(n, path, ""); !ok {
				return
			}
			c := *n
			c.Value = s
			n = &c
		}
		if err := v.Addr().Interface().(yaml.Unmarshaler).UnmarshalYAML(n); err != nil {
			d.fail(n, path, "%s", d.redact(path, err.Error(), s))
		}
		return
	}

	switch t.Kind() {
	case reflect.Struct:
		d.structure(n, path, v)
	case reflect.Slice:
		d.sequence(n, path, v)
	case reflect.Map:
		d.mapping(n, path, v)
	case reflect.Pointer:
		if v.IsNil() {
			v.Set(reflect.New(t.Elem()))
		}
		d.value(n, path, v.Elem())
	case reflect.String:
		if s, ok := d.scalar(n, path, "a string"); ok {
			v.SetString(s)
		}
	case reflect.Bool:
		s, ok := d.scalar(n, path, "true or false")
		if !ok {
			return
		}
		switch s {
		case "true", "True", "TRUE":
			v.SetBool(true)
		case "false", "False", "FALSE":
			v.SetBool(false)
		default:
			d.fail(n, path, "want true or false")
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		s, ok := d.scalar(n, path, "an integer")
		if !ok {
			return
		}
		i, err := strconv.ParseInt(strings.ReplaceAll(s, "_", ""), 10, t.Bits())
		if err != nil {
			d.fail(n, path, "want an integer%s", rangeHint(err))
			return
		}
		v.SetInt(i)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		s, ok := d.scalar(n, path, "a non-negative integer")
		if !ok {
			return
		}
		u, err := strconv.ParseUint(strings.ReplaceAll(s, "_", ""), 10, t.Bits())
		if err != nil {
			d.fail(n, path, "want a non-negative integer%s", rangeHint(err))
			return
		}
		v.SetUint(u)
	case reflect.Float32, reflect.Float64:
		s, ok := d.scalar(n, path, "a number")
		if !ok {
			return
		}
		f, err := strconv.ParseFloat(s, t.Bits())
		if err != nil {
			d.fail(n, path, "want a number%s", rangeHint(err))
			return
		}
		v.SetFloat(f)
	default:
		// A field type this decoder does not know: a programming error,
		// reported rather than panicking.
		d.fail(n, path, "cannot decode into Go type %s", t)
	}
}

func rangeHint(err error) string {
	if errors.Is(err, strconv.ErrRange) {
		return " in range"
	}
	return ""
}

// scalar returns n's text with ${ENV} expanded. It reports a type error
// (naming want) for a list or mapping, and an error for a bad reference.
func (d *decoder) scalar(n *yaml.Node, path, want string) (string, bool) {
	if n.Kind != yaml.ScalarNode {
		if want == "" {
			want = "a single value"
		}
		d.fail(n, path, "want %s, got %s", want, kindName(n))
		return "", false
	}
	if n.ShortTag() != "!!str" {
		// Numbers, booleans and timestamps cannot hold a ${...} reference.
		return n.Value, true
	}
	s, fromEnv, err := expand(n.Value, d.lookup)
	if err != nil {
		d.fail(n, path, "%v", err)
		return "", false
	}
	if fromEnv {
		f := d.fields[path]
		f.FromEnv = true
		d.fields[path] = f
	}
	return s, true
}

// unit decodes the scalar types with their own syntax: Duration, Size,
// money.Price, money.Nanos (USD amounts) and time.Time. Money uses the
// node's literal text, so an unquoted 0.15 is read exactly as written and
// never passes through a float.
func (d *decoder) unit(n *yaml.Node, path string, v reflect.Value) {
	var want string
	switch v.Type() {
	case durationType:
		want = "a duration such as 30s"
	case sizeType:
		want = "a size such as 32MiB"
	case priceType:
		want = `a price such as "0.15"`
	case nanosType:
		want = `an amount of US dollars such as "1500"`
	case timeType:
		want = "a date such as 2025-01-01"
	}
	s, ok := d.scalar(n, path, want)
	if !ok {
		return
	}
	var err error
	switch v.Type() {
	case durationType:
		var x Duration
		x, err = parseDuration(s)
		v.SetInt(int64(x))
	case sizeType:
		var x Size
		x, err = parseSize(s)
		v.SetInt(int64(x))
	case priceType:
		var x money.Price
		x, err = money.ParsePerMillion(s)
		if err == nil {
			v.SetInt(int64(x))
		}
	case nanosType:
		var x money.Nanos
		x, err = ParseUSD(s)
		v.SetInt(int64(x))
	case timeType:
		var x time.Time
		x, err = parseTime(s)
		v.Set(reflect.ValueOf(x))
	}
	if err != nil {
		d.fail(n, path, "%s", d.redact(path, err.Error(), s))
	}
}

// redact removes a value that came from the environment from msg: messages
// of other packages (money) quote the value they reject.
func (d *decoder) redact(path, msg, value string) string {
	if !d.fields[path].FromEnv || value == "" {
		return msg
	}
	msg = strings.ReplaceAll(msg, strconv.Quote(value), "(value from environment)")
	if strings.Contains(msg, value) {
		// Quoted some other way; replacing it in place could also mangle
		// the message's own words.
		return "invalid value (from environment)"
	}
	return msg
}

// structure decodes a mapping into a struct by its yaml tags. Unknown and
// duplicate keys are errors: a misspelled key would otherwise be silently
// ignored and its default used.
func (d *decoder) structure(n *yaml.Node, path string, v reflect.Value) {
	if n.Kind != yaml.MappingNode {
		d.fail(n, path, "want a mapping, got %s", kindName(n))
		return
	}
	fields, pos := structFields(v.Type())
	if pos >= 0 {
		v.Field(pos).Set(reflect.ValueOf(Pos{n.Line, n.Column}))
	}
	g, _ := v.Addr().Interface().(given)
	for _, kv := range d.pairs(n, path) {
		name := kv.key.Value
		i, ok := fields[name]
		if !ok {
			d.errorf(kv.key, path, "unknown key %q", name)
			continue
		}
		d.value(kv.value, join(path, name), v.Field(i))
		if g != nil && !isNull(kv.value) {
			g.given(name)
		}
	}
}

// structFields maps a struct's YAML keys to field indexes, and returns the
// index of its Pos field, or -1.
func structFields(t reflect.Type) (keys map[string]int, pos int) {
	keys = make(map[string]int, t.NumField())
	pos = -1
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		if f.Type == posType && f.Name == "Pos" {
			pos = i
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		switch name {
		case "-":
			continue
		case "":
			name = strings.ToLower(f.Name)
		}
		keys[name] = i
	}
	return keys, pos
}

// sequence decodes a YAML list into a slice.
func (d *decoder) sequence(n *yaml.Node, path string, v reflect.Value) {
	if n.Kind != yaml.SequenceNode {
		d.fail(n, path, "want a list, got %s", kindName(n))
		return
	}
	s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
	for i, e := range n.Content {
		d.value(e, path+"["+strconv.Itoa(i)+"]", s.Index(i))
	}
	v.Set(s)
}

// mapping decodes a YAML mapping into a map with string keys, such as
// provider headers.
func (d *decoder) mapping(n *yaml.Node, path string, v reflect.Value) {
	if n.Kind != yaml.MappingNode {
		d.fail(n, path, "want a mapping, got %s", kindName(n))
		return
	}
	t := v.Type()
	if t.Key().Kind() != reflect.String {
		d.fail(n, path, "cannot decode into Go type %s", t)
		return
	}
	m := reflect.MakeMapWithSize(t, len(n.Content)/2)
	for _, kv := range d.pairs(n, path) {
		e := reflect.New(t.Elem()).Elem()
		d.value(kv.value, join(path, kv.key.Value), e)
		m.SetMapIndex(reflect.ValueOf(kv.key.Value).Convert(t.Key()), e)
	}
	v.Set(m)
}

type pair struct{ key, value *yaml.Node }

// pairs lists a mapping's entries, with merge keys ("<<: *defaults")
// resolved: explicit keys win over merged ones, and earlier merged mappings
// over later ones, as YAML specifies. A key given twice explicitly is an
// error; so is a key that is not a plain scalar.
func (d *decoder) pairs(n *yaml.Node, path string) []pair {
	var out, merged []pair
	seen := make(map[string]*yaml.Node, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind == yaml.ScalarNode && k.ShortTag() == "!!merge" {
			merged = append(merged, d.merge(v, path)...)
			continue
		}
		if k.Kind != yaml.ScalarNode {
			d.errorf(k, path, "want a key, got %s", kindName(k))
			continue
		}
		if first, dup := seen[k.Value]; dup {
			d.errorf(k, join(path, k.Value), "duplicate key %q (first given at line %d)", k.Value, first.Line)
			continue
		}
		seen[k.Value] = k
		out = append(out, pair{k, v})
	}
	for _, kv := range merged {
		if _, ok := seen[kv.key.Value]; !ok {
			seen[kv.key.Value] = kv.key
			out = append(out, kv)
		}
	}
	return out
}

// merge returns the entries that a merge key's value contributes: one
// mapping, or a list of mappings, usually given as aliases.
func (d *decoder) merge(n *yaml.Node, path string) []pair {
	if !d.spend(n, path) {
		return nil
	}
	switch n.Kind {
	case yaml.AliasNode:
		if d.active[n.Alias] {
			d.fail(n, path, "alias *%s refers to the node that contains it", n.Value)
			return nil
		}
		d.active[n.Alias] = true
		defer delete(d.active, n.Alias)
		return d.merge(n.Alias, path)
	case yaml.MappingNode:
		return d.pairs(n, path)
	case yaml.SequenceNode:
		var out []pair
		for _, e := range n.Content {
			if e.Kind == yaml.SequenceNode {
				d.fail(e, path, "merge key (<<) wants a mapping or a list of mappings")
				continue
			}
			out = append(out, d.merge(e, path)...)
		}
		return out
	}
	d.fail(n, path, "merge key (<<) wants a mapping or a list of mappings")
	return nil
}

func isNull(n *yaml.Node) bool {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

// kindName names a node's kind for "want X, got Y" messages, without
// quoting its value.
func kindName(n *yaml.Node) string {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	}
	switch n.ShortTag() {
	case "!!int", "!!float":
		return "a number"
	case "!!bool":
		return "a boolean"
	case "!!null":
		return "nothing"
	}
	return "text"
}

// join appends a mapping key to a YAML path. Keys that are not plain words
// (header names may hold anything) are quoted in brackets.
func join(path, key string) string {
	plain := key != ""
	for i := 0; i < len(key) && plain; i++ {
		c := key[i]
		plain = c == '_' || c == '-' || '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
	}
	switch {
	case !plain:
		return path + "[" + strconv.Quote(key) + "]"
	case path == "":
		return key
	default:
		return path + "." + key
	}
}
