package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Load reads the config file at path, then does what Parse does, expanding
// ${ENV} from the process environment.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	return Parse(path, data, os.LookupEnv)
}

// Parse decodes YAML data, expands ${ENV} in string values using lookup,
// applies the EnvOverrides lookup holds, then defaults, and validates the
// result. file names the data in error
// messages only. A nil lookup sees an empty environment.
//
// On failure Parse returns an Errors value holding every problem found, each
// with its line, column and key path, sorted by position.
func Parse(file string, data []byte, lookup func(string) (string, bool)) (*Config, error) {
	shielded, refs := shieldRefs(data)
	root, err := parseYAML(file, shielded)
	if err != nil {
		return nil, err
	}
	restoreRefs(root, refs, map[*yaml.Node]bool{})
	d := &decoder{
		file:   file,
		lookup: lookup,
		fields: make(map[string]fieldInfo),
		bad:    make(map[string]bool),
		active: make(map[*yaml.Node]bool),
		budget: nodeBudget(data),
	}
	c := &Config{File: file}
	d.value(root, "", reflect.ValueOf(c).Elem())
	c.fields = d.fields
	env := d.overrideFromEnv(c) // SWITCHYARD_* over the file (env.go)

	c.SetDefaults()
	errs := d.errs
	for _, e := range env.note(c.validate()) {
		if !d.failedUnder(e.Key) {
			errs = append(errs, e)
		}
	}
	if len(errs) > 0 {
		errs.sort()
		return nil, errs.truncate(maxErrors)
	}
	return c, nil
}

// maxErrors bounds a report: beyond it, more lines only hide the first ones,
// which are usually the cause of the rest.
const maxErrors = 200

// failedUnder reports whether key, or a value that contains it, failed to
// decode. Validating it would only repeat the problem in other words.
func (d *decoder) failedUnder(key string) bool {
	for k := key; k != ""; {
		if d.bad[k] {
			return true
		}
		i := strings.LastIndexAny(k, ".[")
		if i < 0 {
			break
		}
		k = k[:i]
	}
	return d.bad[""]
}

// parseYAML parses data into a node tree and returns the top-level node,
// which is not null. Syntax errors carry the line yaml.v3 reports.
func parseYAML(file string, data []byte) (root *yaml.Node, err error) {
	defer func() {
		// yaml.v3 turns its own failures into errors, but a few internal
		// checks still panic; a bad file must stop start-up with a message,
		// not a stack trace.
		if r := recover(); r != nil {
			root, err = nil, Errors{{File: file, Msg: fmt.Sprintf("invalid YAML: %v", r)}}
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, Errors{{File: file, Msg: "empty config"}}
		}
		return nil, syntaxError(file, data, err)
	}
	var extra yaml.Node
	switch err := dec.Decode(&extra); {
	case errors.Is(err, io.EOF):
	case err != nil:
		return nil, syntaxError(file, data, err)
	case !isNull(documentRoot(&extra)):
		return nil, Errors{{File: file, Line: extra.Line, Column: extra.Column, Msg: "more than one YAML document; a config is one document"}}
	}
	root = documentRoot(&doc)
	if isNull(root) {
		return nil, Errors{{File: file, Msg: "empty config"}}
	}
	return root, nil
}

func documentRoot(doc *yaml.Node) *yaml.Node {
	if doc.Kind == yaml.DocumentNode {
		if len(doc.Content) == 0 {
			return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null"}
		}
		return doc.Content[0]
	}
	return doc
}

// syntaxError turns yaml.v3's "yaml: line 3: message" into an Error.
func syntaxError(file string, data []byte, err error) error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	e := &Error{File: file, Msg: msg}
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		if num, text, ok := strings.Cut(rest, ": "); ok {
			if n, err := strconv.Atoi(num); err == nil {
				e.Line, e.Msg = n, text
			}
		}
	}
	// yaml.v3 leaves out the line of errors on the first line, and reports
	// parser errors, unlike scanner errors, with 0-based lines.
	switch {
	case e.Line == 0 && !unlocated(e.Msg):
		e.Line = 1
	case parserProblems[e.Msg]:
		e.Line++
	}
	if strings.HasPrefix(e.Msg, "did not find expected ',' or") && bytes.Contains(data, []byte("${")) {
		// In flow style a plain ${VAR} ends at its "}": the commonest
		// way to write this error.
		e.Msg += `; inside {...} or [...], quote environment references: "${VAR}"`
	}
	if e.Msg == "found character that cannot start any token" && e.Line > 0 {
		if lines := bytes.Split(data, []byte("\n")); e.Line <= len(lines) && bytes.HasPrefix(lines[e.Line-1], []byte("\t")) {
			e.Msg += "; indent with spaces, not tabs"
		}
	}
	return Errors{e}
}

// unlocated reports whether a yaml.v3 message is one that never has a line:
// reading (encoding) errors, and unknown anchors.
func unlocated(msg string) bool {
	for _, s := range []string{"UTF-", "Unicode", "surrogate", "control characters", "input error", "unknown anchor", "past the end"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}

// parserProblems are the messages of yaml.v3's parser, as opposed to its
// scanner.
var parserProblems = map[string]bool{
	"did not find expected <stream-start>":   true,
	"did not find expected <document start>": true,
	"found undefined tag handle":             true,
	"did not find expected node content":     true,
	"did not find expected '-' indicator":    true,
	"did not find expected key":              true,
	"did not find expected ',' or ']'":       true,
	"did not find expected ',' or '}'":       true,
	"found duplicate %YAML directive":        true,
	"found incompatible YAML document":       true,
	"found duplicate %TAG directive":         true,
}
