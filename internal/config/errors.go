package config

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Error is one problem in a config, located by file, line, column and the
// YAML path of the key at fault, such as "providers[1].base_url".
type Error struct {
	File         string
	Line, Column int
	Key          string
	Msg          string
}

// Error formats e as "FILE:LINE:COL: KEY: MSG". The location is shortened to
// what is known: "FILE: KEY: MSG" without a line, "KEY: MSG" for a config that
// was built in code.
func (e *Error) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		if e.Line > 0 {
			b.WriteByte(':')
		}
	}
	if e.Line > 0 {
		b.WriteString(strconv.Itoa(e.Line))
		if e.Column > 0 {
			b.WriteByte(':')
			b.WriteString(strconv.Itoa(e.Column))
		}
	}
	if b.Len() > 0 {
		b.WriteString(": ")
	}
	if e.Key != "" {
		b.WriteString(e.Key)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Errors is every problem found in one config. Parse and Validate report them
// all at once, so that one start-up attempt shows everything to fix.
type Errors []*Error

// Error joins the errors, one per line.
func (es Errors) Error() string {
	s := make([]string, len(es))
	for i, e := range es {
		s[i] = e.Error()
	}
	return strings.Join(s, "\n")
}

// Unwrap lets errors.As find the individual *Error values.
func (es Errors) Unwrap() []error {
	errs := make([]error, len(es))
	for i, e := range es {
		errs[i] = e
	}
	return errs
}

// err returns es as an error, or nil when it is empty: a nil Errors in a
// non-nil error interface would look like a failure to callers.
func (es Errors) err() error {
	if len(es) == 0 {
		return nil
	}
	return es
}

// sort orders es by position, so the report reads top to bottom. Problems
// with no line (such as a missing top-level section) come first.
func (es Errors) sort() {
	slices.SortStableFunc(es, func(a, b *Error) int {
		return cmp.Or(cmp.Compare(a.Line, b.Line), cmp.Compare(a.Column, b.Column))
	})
}

// truncate keeps the first max errors of es and, if it dropped any, adds
// one that says how many.
func (es Errors) truncate(max int) Errors {
	if len(es) <= max {
		return es
	}
	last := es[len(es)-1]
	more := &Error{File: last.File, Msg: fmt.Sprintf("%d more problems not shown", len(es)-max)}
	return append(es[:max:max], more)
}
