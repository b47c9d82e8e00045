package config

import (
	"errors"
	"testing"
)

func TestErrorFormat(t *testing.T) {
	tests := []struct {
		e    Error
		want string
	}{
		{Error{File: "switchyard.yaml", Line: 12, Column: 7, Key: "providers[1].base_url", Msg: "must be an absolute http or https URL"},
			"switchyard.yaml:12:7: providers[1].base_url: must be an absolute http or https URL"},
		{Error{File: "a.yaml", Line: 3, Key: "", Msg: "did not find expected key"}, "a.yaml:3: did not find expected key"},
		{Error{File: "a.yaml", Key: "keys", Msg: "at least one client key is required"}, "a.yaml: keys: at least one client key is required"},
		{Error{File: "a.yaml", Msg: "empty config"}, "a.yaml: empty config"},
		{Error{Key: "models[0].routing", Msg: "bad"}, "models[0].routing: bad"},
		{Error{Line: 4, Column: 2, Key: "listen", Msg: "bad"}, "4:2: listen: bad"},
	}
	for _, tt := range tests {
		if got := tt.e.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
	}
}

func TestErrors(t *testing.T) {
	es := Errors{{Key: "b", Msg: "two", Line: 2}, {Key: "a", Msg: "one", Line: 1}}
	es.sort()
	if got, want := es.Error(), "1: a: one\n2: b: two"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	var e *Error
	if !errors.As(error(es), &e) || e.Key != "a" {
		t.Errorf("errors.As = %v, want the first error", e)
	}
	if Errors(nil).err() != nil {
		t.Error("empty Errors must be a nil error")
	}
}
