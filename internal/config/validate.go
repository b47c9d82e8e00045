package config

import (
	"fmt"
	"maps"
	"net"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// ProviderTypes are the accepted values of providers[].type. Adapters for
// more clouds add themselves here; validation reads this map.
var ProviderTypes = map[string]bool{TypeOpenAI: true, TypeAzure: true, TypeOpenAICompatible: true,
	TypeBedrock: true, TypeAnthropic: true, TypeGemini: true}

// RoutingPolicies are the accepted values of models[].routing.
var RoutingPolicies = map[string]bool{RoutePriority: true, RouteWeighted: true, RouteCheapest: true,
	RouteFastest: true, RouteCommitment: true}

// Limits checked by Validate.
const (
	MinKeyLength    = 16
	MinMaxBodyBytes = KiB
	MaxMaxBodyBytes = GiB
	// A header block must hold a long bearer token and SDK headers; past
	// 1 MiB (net/http's default) it is an attack, not a client.
	MinMaxHeaderBytes = 4 * KiB
	MaxMaxHeaderBytes = MiB
	MaxPriority       = 1000
	MaxWeight         = 1_000_000
	MaxConcurrent     = 1_000_000
)

var (
	namePattern       = regexp.MustCompile(`^[A-Za-z0-9._-]+$`)
	azureVersionDated = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}(-preview)?$`)
	awsRegion         = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-\d+$`)
)

// Validate checks c and returns an Errors value with every problem found,
// or nil. It checks c as it is: call SetDefaults first to fill omitted
// fields (Parse does). On a Config built in code the errors carry key paths
// but no file positions.
func (c *Config) Validate() error {
	errs := c.validate()
	errs.sort()
	return errs.err()
}

func (c *Config) validate() Errors {
	v := &validator{c: c}
	v.listen("listen", c.Listen, Pos{})
	v.listen("admin.listen", c.Admin.Listen, c.Admin.Pos)
	v.server()
	v.storage()
	v.log()
	v.observe()
	v.keys()
	v.providers()
	v.models()
	v.routing()
	v.commitments()
	v.plans()
	v.targets()
	return v.errs
}

// validator collects the problems of one Config.
type validator struct {
	c    *Config
	errs Errors
}

// errorf records a problem with key. It points at the key's value when Parse
// saw one, else at fallback, usually the enclosing mapping (for a key that
// is missing).
func (v *validator) errorf(key string, fallback Pos, format string, args ...any) {
	pos := fallback
	if f, ok := v.c.fields[key]; ok {
		pos = f.Pos
	}
	v.errs = append(v.errs, &Error{File: v.c.File, Line: pos.Line, Column: pos.Column, Key: key, Msg: fmt.Sprintf(format, args...)})
}

// quote quotes s for a message, unless the value of any of keys (those s
// was made from) came from the environment: a secret put in the wrong field
// must not end up in a log.
func (v *validator) quote(s string, keys ...string) string {
	for _, k := range keys {
		if v.c.fields[k].FromEnv {
			return "(value from environment)"
		}
	}
	return strconv.Quote(s)
}

func (v *validator) listen(key, addr string, pos Pos) {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		v.errorf(key, pos, "must be host:port, such as 127.0.0.1:8080")
		return
	}
	if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		v.errorf(key, pos, "port must be a number from 0 to 65535")
	}
}

func (v *validator) nonNegative(key string, d Duration, pos Pos) {
	if d < 0 {
		v.errorf(key, pos, "must not be negative")
	}
}

func (v *validator) server() {
	s := &v.c.Server
	if s.MaxBodyBytes < MinMaxBodyBytes || s.MaxBodyBytes > MaxMaxBodyBytes {
		v.errorf("server.max_body_bytes", s.Pos, "must be between %v and %v", MinMaxBodyBytes, MaxMaxBodyBytes)
	}
	if s.MaxJSONDepth < 8 || s.MaxJSONDepth > 10000 {
		v.errorf("server.max_json_depth", s.Pos, "must be between 8 and 10000")
	}
	if s.MaxHeaderBytes < MinMaxHeaderBytes || s.MaxHeaderBytes > MaxMaxHeaderBytes {
		v.errorf("server.max_header_bytes", s.Pos, "must be between %v and %v", MinMaxHeaderBytes, MaxMaxHeaderBytes)
	}
	if s.MaxConnections < -1 {
		v.errorf("server.max_connections", s.Pos, "must be positive, or -1 for no cap")
	}
	if s.MaxInFlight < -1 {
		v.errorf("server.max_in_flight", s.Pos, "must be positive, or -1 for no cap")
	}
	v.nonNegative("server.read_header_timeout", s.ReadHeaderTimeout, s.Pos)
	v.nonNegative("server.body_read_timeout", s.BodyReadTimeout, s.Pos)
	v.nonNegative("server.idle_timeout", s.IdleTimeout, s.Pos)
	v.nonNegative("server.drain_delay", s.DrainDelay, s.Pos)
	v.nonNegative("server.shutdown_grace", s.ShutdownGrace, s.Pos)
}

func (v *validator) storage() {
	switch v.c.Journal.Fsync {
	case "always", "interval", "none":
	default:
		v.errorf("journal.fsync", v.c.Journal.Pos, "%s is not a fsync policy: use always, interval or none", v.quote(v.c.Journal.Fsync, "journal.fsync"))
	}
	v.nonNegative("journal.fsync_interval", v.c.Journal.FsyncInterval, v.c.Journal.Pos)
	v.nonNegative("store.retention", v.c.Store.Retention, v.c.Store.Pos)
	if u := v.c.Store.Postgres; u != "" && !strings.HasPrefix(u, "postgres://") && !strings.HasPrefix(u, "postgresql://") {
		v.errorf("store.postgres", v.c.Store.Pos, "want a postgres:// URL")
	}
	if u := v.c.Cluster.Redis; u != "" && !strings.HasPrefix(u, "redis://") && !strings.HasPrefix(u, "rediss://") {
		v.errorf("cluster.redis", v.c.Cluster.Pos, "want a redis:// URL")
	}
	if b := v.c.Budgets; b.Webhook != "" {
		v.baseURL("budgets.webhook", b.Webhook, b.Pos)
		if b.WebhookSecret == "" {
			v.errorf("budgets.webhook_secret", b.Pos, "required with budgets.webhook: alerts are signed")
		}
	}
}

func (v *validator) log() {
	l := &v.c.Log
	switch l.Level {
	case "debug", "info", "warn", "error":
	default:
		v.errorf("log.level", l.Pos, "unknown level %s; want debug, info, warn or error", v.quote(l.Level, "log.level"))
	}
	switch l.Format {
	case "text", "json":
	default:
		v.errorf("log.format", l.Pos, "unknown format %s; want text or json", v.quote(l.Format, "log.format"))
	}
}

// name checks a name that other parts of the config or the gateway refer
// to: required, unique among seen (which maps names to the key of their
// first use) and, if pattern is set, matching it. quoted is the name as
// messages may show it.
func (v *validator) name(key, name, quoted string, pos Pos, seen map[string]string, pattern *regexp.Regexp) {
	switch {
	case name == "":
		v.errorf(key, pos, "is required")
	case pattern != nil && !pattern.MatchString(name):
		v.errorf(key, pos, "%s may contain only letters, digits, '.', '_' and '-'", quoted)
	case seen[name] != "":
		v.errorf(key, pos, "duplicate name %s (also %s)", quoted, seen[name])
	default:
		seen[name] = key
	}
}

func (v *validator) keys() {
	if len(v.c.Keys) == 0 {
		v.errorf("keys", Pos{}, "at least one client key is required")
		return
	}
	names := make(map[string]string)
	values := make(map[string]string)
	for i, k := range v.c.Keys {
		p := "keys[" + strconv.Itoa(i) + "]"
		v.name(p+".name", k.Name, v.quote(k.Name, p+".name"), k.Pos, names, namePattern)
		// Messages about the key never include it.
		key := p + ".key"
		switch {
		case k.Key == "":
			v.errorf(key, k.Pos, "is required")
		case utf8.RuneCountInString(k.Key) < MinKeyLength:
			v.errorf(key, k.Pos, "must be at least %d characters", MinKeyLength)
		case values[k.Key] != "":
			v.errorf(key, k.Pos, "same key as %s; every client key must be different", values[k.Key])
		default:
			values[k.Key] = key
		}
		v.keyConstraints(p, &k)
	}
}

func (v *validator) providers() {
	names := make(map[string]string)
	for i := range v.c.Providers {
		pr := &v.c.Providers[i]
		p := "providers[" + strconv.Itoa(i) + "]"
		v.name(p+".name", pr.Name, v.quote(pr.Name, p+".name"), pr.Pos, names, namePattern)

		if !ProviderTypes[pr.Type] {
			if pr.Type == "" {
				v.errorf(p+".type", pr.Pos, "is required; want one of %s", oneOf(ProviderTypes))
			} else {
				v.errorf(p+".type", pr.Pos, "unknown provider type %s; want one of %s", v.quote(pr.Type, p+".type"), oneOf(ProviderTypes))
			}
		}

		switch {
		case pr.BaseURL != "":
			v.baseURL(p+".base_url", pr.BaseURL, pr.Pos)
		case pr.Type == TypeAzure || pr.Type == TypeOpenAICompatible:
			v.errorf(p+".base_url", pr.Pos, "is required for type %s", pr.Type)
		}
		if pr.APIKey == "" && (pr.Type == TypeOpenAI || pr.Type == TypeAzure || pr.Type == TypeAnthropic || pr.Type == TypeGemini) {
			v.errorf(p+".api_key", pr.Pos, "is required for type %s", pr.Type)
		}
		if pr.Type == TypeBedrock {
			if pr.Region == "" {
				v.errorf(p+".region", pr.Pos, "is required for type bedrock (e.g. us-east-1)")
			} else if !awsRegion.MatchString(pr.Region) {
				v.errorf(p+".region", pr.Pos, "%s is not an AWS region name such as us-east-1", v.quote(pr.Region, p+".region"))
			}
			if (pr.AccessKeyID == "") != (pr.SecretAccessKey == "") {
				v.errorf(p+".secret_access_key", pr.Pos, "access_key_id and secret_access_key go together: set both or neither")
			}
		} else {
			if pr.AccessKeyID != "" || pr.SecretAccessKey != "" || pr.SessionToken != "" {
				v.errorf(p+".access_key_id", pr.Pos, "AWS credentials apply only to type bedrock")
			}
			if pr.Region != "" && !namePattern.MatchString(pr.Region) {
				v.errorf(p+".region", pr.Pos, "%s may contain only letters, digits, '.', '_' and '-'", v.quote(pr.Region, p+".region"))
			}
		}

		if pr.Type == TypeAzure {
			if pr.Auth != AuthAPIKey && pr.Auth != AuthBearer {
				v.errorf(p+".auth", pr.Pos, "unknown auth %s; want %q or %q", v.quote(pr.Auth, p+".auth"), AuthAPIKey, AuthBearer)
			}
			if pr.APIVersion != "" && pr.APIVersion != "v1" && !azureVersionDated.MatchString(pr.APIVersion) {
				v.errorf(p+".api_version", pr.Pos, "must be empty or \"v1\" (the /openai/v1 API) or a dated version such as \"2024-10-21\" or \"2025-04-01-preview\"")
			}
		}

		for _, h := range slices.Sorted(maps.Keys(pr.Headers)) {
			key := join(p+".headers", h)
			if !validHeaderName(h) {
				v.errorf(key, pr.Pos, "%q is not a valid HTTP header name", h)
			}
			// Values may be credentials: describe, never quote.
			if !validHeaderValue(pr.Headers[h]) {
				v.errorf(key, pr.Pos, "value must not contain control characters such as line breaks")
			}
		}

		v.nonNegative(p+".timeouts.connect", pr.Timeouts.Connect, pr.Pos)
		v.nonNegative(p+".timeouts.first_byte", pr.Timeouts.FirstByte, pr.Pos)
		v.nonNegative(p+".timeouts.response", pr.Timeouts.Response, pr.Pos)
		v.nonNegative(p+".timeouts.idle", pr.Timeouts.Idle, pr.Pos)
	}
}

// baseURL checks that s is where API paths can be appended. The message
// never quotes the URL: it may carry credentials as user:password@.
func (v *validator) baseURL(key, s string, pos Pos) {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Opaque != "" {
		v.errorf(key, pos, "must be an absolute http or https URL")
		return
	}
	if u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || strings.Contains(s, "#") {
		v.errorf(key, pos, "must not have a query or fragment")
	}
}

func (v *validator) models() {
	if len(v.c.Models) == 0 {
		v.errorf("models", Pos{}, "at least one model is required")
		return
	}
	providers := make(map[string]bool, len(v.c.Providers))
	for _, p := range v.c.Providers {
		providers[p.Name] = true
	}
	names := make(map[string]string)
	deployments := make(map[string]string)
	for i := range v.c.Models {
		m := &v.c.Models[i]
		p := "models[" + strconv.Itoa(i) + "]"
		v.name(p+".name", m.Name, v.quote(m.Name, p+".name"), m.Pos, names, nil)
		if !RoutingPolicies[m.Routing] {
			v.errorf(p+".routing", m.Pos, "unknown routing policy %s; want one of %s", v.quote(m.Routing, p+".routing"), oneOf(RoutingPolicies))
		}
		if len(m.Deployments) == 0 {
			v.errorf(p+".deployments", m.Pos, "at least one deployment is required")
		}
		for j := range m.Deployments {
			v.deployment(p+".deployments["+strconv.Itoa(j)+"]", &m.Deployments[j], providers, deployments)
		}
	}
	v.fallbacks()
}

func (v *validator) deployment(p string, d *Deployment, providers map[string]bool, names map[string]string) {
	switch {
	case d.Provider == "":
		v.errorf(p+".provider", d.Pos, "is required")
	case !providers[d.Provider]:
		v.errorf(p+".provider", d.Pos, "no provider named %s", v.quote(d.Provider, p+".provider"))
	}
	if d.Model == "" {
		v.errorf(p+".model", d.Pos, "is required")
	}
	// The name defaults to PROVIDER/MODEL; when either is missing, that is
	// the problem to report, not the name.
	if d.Name != "" || (d.Provider != "" && d.Model != "") {
		// A default name is made of provider and model.
		v.name(p+".name", d.Name, v.quote(d.Name, p+".name", p+".provider", p+".model"), d.Pos, names, nil)
	}
	if d.Priority < 0 || d.Priority > MaxPriority {
		v.errorf(p+".priority", d.Pos, "must be between 0 and %d", MaxPriority)
	}
	if d.Weight < 1 || d.Weight > MaxWeight {
		v.errorf(p+".weight", d.Pos, "must be between 1 and %d", MaxWeight)
	}
	if d.Quota.RPM < 0 {
		v.errorf(p+".quota.rpm", d.Pos, "must not be negative")
	}
	if d.Quota.TPM < 0 {
		v.errorf(p+".quota.tpm", d.Pos, "must not be negative")
	}
	// A region inherited from the provider is checked there.
	if d.Region != "" && d.Region != v.providerRegion(d.Provider) && !namePattern.MatchString(d.Region) {
		v.errorf(p+".region", d.Pos, "%s may contain only letters, digits, '.', '_' and '-'", v.quote(d.Region, p+".region", p+".provider"))
	}
	if d.MaxConcurrent < 0 || d.MaxConcurrent > MaxConcurrent {
		v.errorf(p+".max_concurrent", d.Pos, "must be between 0 (no cap) and %d", MaxConcurrent)
	}
	v.price(p, d)
}

// providerRegion returns the region of the named provider, or "".
func (v *validator) providerRegion(name string) string {
	for _, p := range v.c.Providers {
		if p.Name == name {
			return p.Region
		}
	}
	return ""
}

// oneOf lists the accepted values of an enumeration, sorted.
func oneOf(accepted map[string]bool) string {
	return strings.Join(slices.Sorted(maps.Keys(accepted)), ", ")
}

// validHeaderName reports whether s is an HTTP token (RFC 9110, 5.6.2).
func validHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' {
			continue
		}
		if !strings.ContainsRune("!#$%&'*+-.^_`|~", rune(c)) {
			return false
		}
	}
	return true
}

// validHeaderValue rejects control characters other than tab: a line break
// in a header value would let the config inject headers.
func validHeaderValue(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < ' ' && c != '\t' || c == 0x7f {
			return false
		}
	}
	return true
}
