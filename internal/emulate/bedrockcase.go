package emulate

import (
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
	"sync"
)

// member is a JSON member of a request's struct type.
type member struct {
	name string
	typ  reflect.Type
}

// memberNames maps each struct type of a request to its members, by their
// JSON names and by those names lowercased.
var memberNames sync.Map // reflect.Type → map[string]member

func membersOf(t reflect.Type) map[string]member {
	if m, ok := memberNames.Load(t); ok {
		return m.(map[string]member)
	}
	m := map[string]member{}
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		m[strings.ToLower(name)] = member{name, f.Type}
		m[name] = member{name, f.Type}
	}
	memberNames.Store(t, m)
	return m
}

var rawMessageType = reflect.TypeFor[json.RawMessage]()

// checkMemberCase finds members named in the wrong case. encoding/json
// matches names regardless of case, but Bedrock does not: a client that sends
// "Messages" or "Text", as Go structs without json tags do, is refused by
// Bedrock and must be refused here. raw has already decoded into a t, so its
// shape is right; JSON documents (tool inputs, schemas) are not walked, as
// their keys are free.
func checkMemberCase(raw []byte, t reflect.Type, path string) *bedrockError {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case t == rawMessageType:
	case t.Kind() == reflect.Struct:
		var obj map[string]json.RawMessage
		if json.Unmarshal(raw, &obj) != nil {
			return nil // null
		}
		members := membersOf(t)
		for key, v := range obj {
			m, ok := members[key]
			if !ok {
				m, ok = members[strings.ToLower(key)]
			}
			switch {
			case !ok:
				// Unknown members are ignored.
			case m.name != key:
				in := "the request"
				if path != "" {
					in = "'" + path + "'"
				}
				return awsMalformed("unknown member '" + key + "' in " + in + ": member names are " +
					"case-sensitive; did you mean '" + m.name + "'?")
			default:
				at := m.name
				if path != "" {
					at = path + "." + m.name
				}
				if err := checkMemberCase(v, m.typ, at); err != nil {
					return err
				}
			}
		}
	case t.Kind() == reflect.Slice:
		var items []json.RawMessage
		if json.Unmarshal(raw, &items) != nil {
			return nil
		}
		for i, v := range items {
			if err := checkMemberCase(v, t.Elem(), path+"."+strconv.Itoa(i)); err != nil {
				return err
			}
		}
	}
	return nil
}
