package config

import "strings"

// EnvOverride is one environment variable that sets a config key over the
// file, as containers and platforms pass settings. Load applies them after
// the file is parsed and before defaults and validation, so a bad value is
// reported under its key like one written in the file.
type EnvOverride struct {
	Var string // e.g. SWITCHYARD_LISTEN; wins over the file
	// Alias is a conventional name platforms set (DATABASE_URL,
	// REDIS_URL). It is used only when neither the file nor Var gives the
	// key a value: a variable meant for another program in the same shell
	// must not silently replace what the file says.
	Alias string
	Key   string // the config key it sets, e.g. "listen"

	field func(*Config) *string
}

// EnvOverrides are the variables Load reads, in the order the README lists
// them. An empty variable counts as unset, so `SWITCHYARD_X=` in a compose
// file leaves the file's value alone.
var EnvOverrides = []EnvOverride{
	{Var: "SWITCHYARD_LISTEN", Key: "listen", field: func(c *Config) *string { return &c.Listen }},
	{Var: "SWITCHYARD_ADMIN_LISTEN", Key: "admin.listen", field: func(c *Config) *string { return &c.Admin.Listen }},
	{Var: "SWITCHYARD_ADMIN_TOKEN", Key: "admin.token", field: func(c *Config) *string { return &c.Admin.Token }},
	{Var: "SWITCHYARD_DATA_DIR", Key: "data_dir", field: func(c *Config) *string { return &c.DataDir }},
	{Var: "SWITCHYARD_STORE_POSTGRES", Alias: "DATABASE_URL", Key: "store.postgres", field: func(c *Config) *string { return &c.Store.Postgres }},
	{Var: "SWITCHYARD_CLUSTER_REDIS", Alias: "REDIS_URL", Key: "cluster.redis", field: func(c *Config) *string { return &c.Cluster.Redis }},
	{Var: "SWITCHYARD_LOG_LEVEL", Key: "log.level", field: func(c *Config) *string { return &c.Log.Level }},
	{Var: "SWITCHYARD_LOG_FORMAT", Key: "log.format", field: func(c *Config) *string { return &c.Log.Format }},
	{Var: "SWITCHYARD_JOURNAL_FSYNC", Key: "journal.fsync", field: func(c *Config) *string { return &c.Journal.Fsync }},
}

// envSources maps each config key set from the environment to the variable
// that set it.
type envSources map[string]string

// overrideFromEnv applies EnvOverrides to c through d's lookup. A key set
// this way is marked as coming from the environment, so messages never
// quote its value (a token or a URL with a password), and it has no file
// position: pointing at the line it replaced would send the reader to the
// wrong place. A decode failure of the file's value no longer stops the
// override's own value from being validated.
func (d *decoder) overrideFromEnv(c *Config) envSources {
	if d.lookup == nil {
		return nil
	}
	var src envSources
	for _, o := range EnvOverrides {
		name, val := o.Var, lookupNonEmpty(d.lookup, o.Var)
		if val == "" && o.Alias != "" && *o.field(c) == "" {
			name, val = o.Alias, lookupNonEmpty(d.lookup, o.Alias)
		}
		if val == "" {
			continue
		}
		*o.field(c) = val
		if src == nil {
			src = make(envSources)
		}
		src[o.Key] = name
		d.fields[o.Key] = fieldInfo{FromEnv: true}
		delete(d.bad, o.Key)
	}
	return src
}

func lookupNonEmpty(lookup func(string) (string, bool), name string) string {
	v, _ := lookup(name)
	return v
}

// note adds to each error about a key set from the environment which
// variable set it: the file is not where to look for the fix.
func (s envSources) note(errs Errors) Errors {
	for _, e := range errs {
		for key, name := range s {
			if e.Key == key || strings.HasPrefix(e.Key, key+".") || strings.HasPrefix(e.Key, key+"[") {
				e.Line, e.Column = 0, 0
				e.Msg += " (value from environment variable " + name + ")"
				break
			}
		}
	}
	return errs
}
