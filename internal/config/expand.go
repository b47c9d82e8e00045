package config

import (
	"fmt"
	"strings"
)

// expand replaces environment references in s, one string scalar of the
// parsed YAML. Expanding after parsing, not in the raw text, means a secret
// that contains YAML syntax (": ", "#", quotes) can never change the
// document's structure.
//
//	${VAR}          the value of VAR; an error if VAR is not set
//	${VAR:-default} the value of VAR if set and non-empty, else default
//	$$              a literal $
//
// A $ followed by anything else is kept as is, so prices such as "$5" or
// passwords with a lone $ need no escaping. The default is literal text up
// to the first "}"; it is not expanded again.
//
// fromEnv reports whether any value came from the environment, so callers
// can keep it out of error messages. Errors name the variable, never a value.
func expand(s string, lookup func(string) (string, bool)) (out string, fromEnv bool, err error) {
	if !strings.Contains(s, "$") {
		return s, false, nil
	}
	var b strings.Builder
	b.Grow(len(s))
	for {
		i := strings.IndexByte(s, '$')
		if i < 0 || i == len(s)-1 {
			b.WriteString(s)
			return b.String(), fromEnv, nil
		}
		b.WriteString(s[:i])
		switch s[i+1] {
		case '$':
			b.WriteByte('$')
			s = s[i+2:]
			continue
		case '{':
		default:
			b.WriteByte('$')
			s = s[i+1:]
			continue
		}
		body, rest, ok := strings.Cut(s[i+2:], "}")
		if !ok {
			return "", false, fmt.Errorf("unterminated ${ (missing closing brace)")
		}
		name, def, hasDef := strings.Cut(body, ":-")
		if err := checkVarName(name); err != nil {
			return "", false, err
		}
		val, set := "", false
		if lookup != nil {
			val, set = lookup(name)
		}
		switch {
		case hasDef && val == "":
			val = def
		case !set:
			return "", false, fmt.Errorf("environment variable %s is not set", name)
		default:
			fromEnv = true
		}
		b.WriteString(val)
		s = rest
	}
}

// checkVarName accepts the names a POSIX shell accepts: a letter or
// underscore, then letters, digits and underscores.
func checkVarName(name string) error {
	if name == "" {
		return fmt.Errorf("empty environment variable name in ${}")
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c == '_', 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z':
		case '0' <= c && c <= '9' && i > 0:
		default:
			return fmt.Errorf("invalid environment variable name %q in ${...}: want letters, digits and _, not starting with a digit", name)
		}
	}
	return nil
}
