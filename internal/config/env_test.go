package config

import (
	"errors"
	"strings"
	"testing"
)

func TestEnvOverrides(t *testing.T) {
	base := []string{lineKeys, lineProviders, lineModels}
	file := func(extra ...string) string { return doc(append(append([]string{}, extra...), base...)...) }
	tests := []struct {
		name string
		yaml string
		env  []string
		get  func(*Config) string
		want string
	}{
		{"listen over the file", file("listen: 127.0.0.1:9999"), []string{"SWITCHYARD_LISTEN", "0.0.0.0:8080"},
			func(c *Config) string { return c.Listen }, "0.0.0.0:8080"},
		{"listen over the default", file(), []string{"SWITCHYARD_LISTEN", "0.0.0.0:8080"},
			func(c *Config) string { return c.Listen }, "0.0.0.0:8080"},
		{"empty variable keeps the file", file("listen: 127.0.0.1:9999"), []string{"SWITCHYARD_LISTEN", ""},
			func(c *Config) string { return c.Listen }, "127.0.0.1:9999"},
		{"no variable keeps the default", file(), nil,
			func(c *Config) string { return c.Listen }, DefaultListen},
		{"admin listen", file(), []string{"SWITCHYARD_ADMIN_LISTEN", "0.0.0.0:8081"},
			func(c *Config) string { return c.Admin.Listen }, "0.0.0.0:8081"},
		{"admin token over ${VAR}", file("admin: {token: ${T}}"), []string{"T", "from-file-0123456789", "SWITCHYARD_ADMIN_TOKEN", "from-env-0123456789"},
			func(c *Config) string { return c.Admin.Token }, "from-env-0123456789"},
		{"data dir", file(), []string{"SWITCHYARD_DATA_DIR", "/data"},
			func(c *Config) string { return c.DataDir }, "/data"},
		{"store postgres", file(), []string{"SWITCHYARD_STORE_POSTGRES", "postgres://pg/db"},
			func(c *Config) string { return c.Store.Postgres }, "postgres://pg/db"},
		{"DATABASE_URL when nothing else sets it", file(), []string{"DATABASE_URL", "postgres://alias/db"},
			func(c *Config) string { return c.Store.Postgres }, "postgres://alias/db"},
		{"SWITCHYARD_STORE_POSTGRES wins over DATABASE_URL", file(), []string{"DATABASE_URL", "postgres://alias/db", "SWITCHYARD_STORE_POSTGRES", "postgres://pg/db"},
			func(c *Config) string { return c.Store.Postgres }, "postgres://pg/db"},
		{"DATABASE_URL never replaces the file", file("store: {postgres: postgres://file/db}"), []string{"DATABASE_URL", "postgres://alias/db"},
			func(c *Config) string { return c.Store.Postgres }, "postgres://file/db"},
		{"cluster redis", file("cluster: {redis: redis://file:6379}"), []string{"SWITCHYARD_CLUSTER_REDIS", "redis://env:6379"},
			func(c *Config) string { return c.Cluster.Redis }, "redis://env:6379"},
		{"REDIS_URL when nothing else sets it", file(), []string{"REDIS_URL", "redis://alias:6379"},
			func(c *Config) string { return c.Cluster.Redis }, "redis://alias:6379"},
		{"REDIS_URL never replaces the file", file("cluster: {redis: redis://file:6379}"), []string{"REDIS_URL", "redis://alias:6379"},
			func(c *Config) string { return c.Cluster.Redis }, "redis://file:6379"},
		{"log level", file("log: {level: warn}"), []string{"SWITCHYARD_LOG_LEVEL", "debug"},
			func(c *Config) string { return c.Log.Level }, "debug"},
		{"log format", file(), []string{"SWITCHYARD_LOG_FORMAT", "json"},
			func(c *Config) string { return c.Log.Format }, "json"},
		{"journal fsync", file(), []string{"SWITCHYARD_JOURNAL_FSYNC", "always"},
			func(c *Config) string { return c.Journal.Fsync }, "always"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse("switchyard.yaml", []byte(tt.yaml), env(tt.env...))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if got := tt.get(c); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// A bad value from the environment is reported under its key, names the
// variable, and never quotes the value.
func TestEnvOverrideErrors(t *testing.T) {
	tests := []struct {
		name    string
		env     []string
		key     string
		msg     string
		secrets []string
	}{
		{"listen", []string{"SWITCHYARD_LISTEN", "8080"}, "listen",
			"must be host:port, such as 127.0.0.1:8080 (value from environment variable SWITCHYARD_LISTEN)", nil},
		{"admin listen", []string{"SWITCHYARD_ADMIN_LISTEN", "0.0.0.0:99999"}, "admin.listen",
			"port must be a number from 0 to 65535 (value from environment variable SWITCHYARD_ADMIN_LISTEN)", nil},
		{"postgres", []string{"SWITCHYARD_STORE_POSTGRES", "mysql://u:hunter2secret@db/x"}, "store.postgres",
			"want a postgres:// URL (value from environment variable SWITCHYARD_STORE_POSTGRES)", []string{"hunter2secret"}},
		{"DATABASE_URL", []string{"DATABASE_URL", "mysql://u:hunter2secret@db/x"}, "store.postgres",
			"(value from environment variable DATABASE_URL)", []string{"hunter2secret"}},
		{"redis", []string{"REDIS_URL", "tcp://:s3cretpass@cache:6379"}, "cluster.redis",
			"want a redis:// URL (value from environment variable REDIS_URL)", []string{"s3cretpass"}},
		{"log level", []string{"SWITCHYARD_LOG_LEVEL", "loud"}, "log.level",
			"unknown level (value from environment); want debug, info, warn or error (value from environment variable SWITCHYARD_LOG_LEVEL)", []string{"loud"}},
		{"log format", []string{"SWITCHYARD_LOG_FORMAT", "xml"}, "log.format",
			"(value from environment variable SWITCHYARD_LOG_FORMAT)", []string{"xml"}},
		{"journal fsync", []string{"SWITCHYARD_JOURNAL_FSYNC", "sometimes"}, "journal.fsync",
			"is not a fsync policy: use always, interval or none (value from environment variable SWITCHYARD_JOURNAL_FSYNC)", []string{"sometimes"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// The file sets every key validly, on lines the error must not
			// point at: the value at fault is the environment's.
			yaml := doc(
				"listen: 127.0.0.1:8080",
				"admin: {listen: 127.0.0.1:8081}",
				"store: {retention: 24h}",
				"log: {level: info, format: text}",
				"journal: {fsync: interval}",
				lineKeys, lineProviders, lineModels)
			_, err := Parse("switchyard.yaml", []byte(yaml), env(tt.env...))
			var errs Errors
			if !errors.As(err, &errs) || len(errs) != 1 {
				t.Fatalf("want one error, got %v", err)
			}
			e := errs[0]
			if e.Key != tt.key || e.Line != 0 || !strings.Contains(e.Msg, tt.msg) {
				t.Errorf("error = %q (key %q, line %d), want key %q, no line, message containing %q", e.Error(), e.Key, e.Line, tt.key, tt.msg)
			}
			if want := "switchyard.yaml: " + tt.key + ": "; !strings.HasPrefix(e.Error(), want) {
				t.Errorf("error = %q, want it to start with %q", e.Error(), want)
			}
			for _, s := range tt.secrets {
				if strings.Contains(err.Error(), s) {
					t.Errorf("error %q quotes the environment's value %q", err.Error(), s)
				}
			}
		})
	}
}

// Errors about keys the environment did not set keep their file position.
func TestEnvOverrideLeavesOtherErrorsAlone(t *testing.T) {
	yaml := doc("listen: nope", lineKeys, lineProviders, lineModels)
	_, err := Parse("switchyard.yaml", []byte(yaml), env("SWITCHYARD_LOG_LEVEL", "debug"))
	checkErrors(t, err, []want{{Key: "listen", Line: 1, Msg: "must be host:port"}})
	if strings.Contains(err.Error(), "environment variable") {
		t.Errorf("error %q blames the environment", err)
	}
}

// Every override's Key is the file key of the field it sets, so the
// README's table and the error messages stay true.
func TestEnvOverridesNameTheirKeys(t *testing.T) {
	values := map[string]string{"listen": "127.0.0.1:1", "admin.listen": "127.0.0.1:2", "admin.token": "tok-0123456789abcdef",
		"data_dir": "/d", "store.postgres": "postgres://f/db", "cluster.redis": "redis://f:1", "log.level": "warn",
		"log.format": "json", "journal.fsync": "none"}
	seen := map[string]bool{}
	for _, o := range EnvOverrides {
		if !strings.HasPrefix(o.Var, "SWITCHYARD_") || seen[o.Var] {
			t.Errorf("%s: want a unique SWITCHYARD_ name", o.Var)
		}
		seen[o.Var] = true
		val, ok := values[o.Key]
		if !ok {
			t.Errorf("%s: key %q not covered by this test", o.Var, o.Key)
			continue
		}
		line := o.Key + ": " + val
		if section, key, nested := strings.Cut(o.Key, "."); nested {
			line = section + ": {" + key + ": " + val + "}"
		}
		c, err := Parse("f.yaml", []byte(doc(line, lineKeys, lineProviders, lineModels)), nil)
		if err != nil {
			t.Fatalf("%s: %v", o.Key, err)
		}
		if got := *o.field(c); got != val {
			t.Errorf("%s: the file's %s set the field to %q, want %q", o.Var, o.Key, got, val)
		}
	}
}
