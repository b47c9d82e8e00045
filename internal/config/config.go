// Package config loads, expands and validates Switchyard's YAML configuration.
package config

import (
	"time"
)

// Config is the whole gateway configuration. Load fills it from a YAML file;
// code (the demo, tests) may also build one directly and call Validate.
type Config struct {
	// File is the path the config was loaded from, used in error messages.
	File string `yaml:"-"`

	Listen  string  `yaml:"listen"`   // API listener, default 127.0.0.1:8080
	Admin   Admin   `yaml:"admin"`    // admin listener
	DataDir string  `yaml:"data_dir"` // default ./switchyard-data
	Store   Store   `yaml:"store"`    // absent: SQLite in data_dir
	Journal Journal `yaml:"journal"`  // the local usage journal in data_dir/journal
	Cluster Cluster `yaml:"cluster"`  // absent: one node, limits and budgets in memory
	Budgets Budgets `yaml:"budgets"`  // budget alert delivery
	Server  Server  `yaml:"server"`   // limits and timeouts of the API listener
	Log     Log     `yaml:"log"`
	Metrics Metrics `yaml:"metrics"` // the admin listener's /metrics (observe.go)
	Tracing Tracing `yaml:"tracing"` // OpenTelemetry traces; off without an endpoint

	Keys        []Key        `yaml:"keys"`        // bootstrap client keys
	Providers   []Provider   `yaml:"providers"`   // cloud accounts
	Models      []Model      `yaml:"models"`      // public model names and their deployments
	Commitments []Commitment `yaml:"commitments"` // contracts with providers that routing steers toward
	Routing     Routing      `yaml:"routing"`     // policy weights, health and retry settings
	Targets     []Target     `yaml:"targets"`     // goals per period, forecast and alerted on (targets.go)

	// Plans are what tenants are charged, and PlanAssignments put tenants
	// on them with dates and experiment arms (plans.go).
	Plans           []Plan           `yaml:"plans"`
	PlanAssignments []PlanAssignment `yaml:"plan_assignments"`

	// KeysPepper is the HMAC key stored client keys are digested under
	// (at least 16 characters, usually ${SWITCHYARD_KEYS_PEPPER}). Empty:
	// $SWITCHYARD_KEYS_PEPPER, else a pepper generated once into
	// data_dir/pepper. Replicas sharing a store must share it.
	KeysPepper string `yaml:"keys_pepper"`

	// fields records where Parse found each key path and whether its value
	// came from the environment, for Validate's messages. Nil in code.
	fields map[string]fieldInfo
}

// Cluster makes replicas share rate limits and budgets through Redis.
type Cluster struct {
	// Redis is a redis:// URL; empty runs one node with limits and budgets
	// in memory.
	Redis string `yaml:"redis"`
	// FailOpen keeps serving under each replica's own limits and books
	// while Redis is unreachable; the default refuses with 503.
	FailOpen bool `yaml:"fail_open"`
	Pos      Pos  `yaml:"-"`
}

// Budgets configures where budget alerts (50, 80 and 100% of a budget)
// go besides the log and the metrics.
type Budgets struct {
	// Webhook receives alerts as signed JSON POSTs; empty for none.
	Webhook string `yaml:"webhook"`
	// WebhookSecret signs them (HMAC-SHA256); required with a webhook.
	WebhookSecret string `yaml:"webhook_secret"`
	Pos           Pos    `yaml:"-"`
}

// Store picks where usage is kept.
type Store struct {
	// Postgres is a connection URL; empty keeps the store in SQLite in
	// data_dir. Replicas share one Postgres.
	Postgres string `yaml:"postgres"`
	// Retention is how long raw usage events are kept; hourly rollups are
	// kept for ever. Default 30 days.
	Retention Duration `yaml:"retention"`
	Pos       Pos      `yaml:"-"`
}

// Journal configures the local usage journal every event is written to
// before a response's final byte.
type Journal struct {
	// Fsync is always | interval | none: what a power loss (not a process
	// crash, which none of them lose) can take. Default interval.
	Fsync string `yaml:"fsync"`
	// FsyncInterval is how often interval syncs. Default 100ms.
	FsyncInterval Duration `yaml:"fsync_interval"`
	Pos           Pos      `yaml:"-"`
}

// Admin is the admin listener.
type Admin struct {
	Listen string `yaml:"listen"` // default 127.0.0.1:8081
	Token  string `yaml:"token"`  // bearer token for /admin/v1; empty disables the admin API
	Pos    Pos    `yaml:"-"`
}

// Server holds the API listener's limits and timeouts.
type Server struct {
	// MaxBodyBytes caps a request body; larger bodies get 413. YAML accepts an
	// integer or a size such as "32MiB". Default 32 MiB.
	MaxBodyBytes Size `yaml:"max_body_bytes"`
	// ReadHeaderTimeout bounds reading request headers (slowloris). Default 10s.
	ReadHeaderTimeout Duration `yaml:"read_header_timeout"`
	// BodyReadTimeout bounds reading a request body. It is not a whole-request
	// timeout: long streams are never cut by it. Default 60s.
	BodyReadTimeout Duration `yaml:"body_read_timeout"`
	// IdleTimeout closes idle keep-alive connections. Default 120s.
	IdleTimeout Duration `yaml:"idle_timeout"`
	// MaxHeaderBytes caps a request's header block (431 beyond; net/http
	// allows 4 KiB of slack over it). Default 64 KiB, about Envoy's 60 KiB.
	MaxHeaderBytes Size `yaml:"max_header_bytes"`
	// MaxJSONDepth caps the nesting of every JSON document the gateway
	// reads: client bodies, cloud answers, stream events. Checked without
	// recursion before any parser runs. Default 128.
	MaxJSONDepth int `yaml:"max_json_depth"`
	// MaxConnections caps open client connections. Past it, a few spare
	// connections are served /healthz and /readyz only (others get 503 with
	// Retry-After: 1) and the rest are closed at once. Default 10000; -1
	// means no cap.
	MaxConnections int `yaml:"max_connections"`
	// MaxInFlight caps requests being handled at once, probes excluded;
	// past it requests get 503 with Retry-After: 1. Default 4096; -1 means
	// no cap.
	MaxInFlight int `yaml:"max_in_flight"`
	// DrainDelay is how long /readyz reports 503 before the listener stops
	// accepting, so load balancers can take the node out. Default 0.
	DrainDelay Duration `yaml:"drain_delay"`
	// ShutdownGrace is how long in-flight requests and streams may run after
	// SIGTERM before they are cut. Default 30s.
	ShutdownGrace Duration `yaml:"shutdown_grace"`
	Pos           Pos      `yaml:"-"`
}

// Log configures logging.
type Log struct {
	Level  string `yaml:"level"`  // debug | info | warn | error; default info
	Format string `yaml:"format"` // text | json; default text
	Access bool   `yaml:"access"` // one line per request at info level; default false
	Pos    Pos    `yaml:"-"`
}

// Key is a client API key from the config file. Only its digest is kept in
// memory once the gateway has started. Until tenants land, a key also carries
// the routing constraints of whoever uses it.
type Key struct {
	Name string `yaml:"name"`
	Key  string `yaml:"key"` // at least 16 characters; usually ${ENV}

	// AllowedProviders and AllowedRegions restrict the deployments this
	// key's requests may reach (data residency); empty allows all. They win
	// over every routing policy: when no allowed deployment can answer, the
	// client gets the error.
	AllowedProviders []string `yaml:"allowed_providers"`
	AllowedRegions   []string `yaml:"allowed_regions"`
	// AllowRouteOverride says which policies the key may ask for with the
	// x-switchyard-route header. Default: none.
	AllowRouteOverride RouteOverride `yaml:"allow_route_override"`

	Pos Pos `yaml:"-"`
}

// Provider types.
const (
	TypeOpenAI           = "openai"
	TypeAzure            = "azure"
	TypeOpenAICompatible = "openai-compatible"
	TypeBedrock          = "bedrock"
	TypeAnthropic        = "anthropic"
	TypeGemini           = "gemini"
)

// Provider is one account at one cloud API.
type Provider struct {
	Name    string `yaml:"name"`     // unique, referenced by deployments
	Type    string `yaml:"type"`     // one of the Type* constants
	BaseURL string `yaml:"base_url"` // http(s) URL; required for openai-compatible and azure
	APIKey  string `yaml:"api_key"`  // secret; usually ${ENV}

	// Azure: APIVersion selects the classic per-deployment surface
	// (/openai/deployments/{model}/...?api-version=...). Empty or "v1" selects
	// the /openai/v1/ surface. Auth is "api-key" (default, header api-key) or
	// "bearer" (Authorization: Bearer, e.g. an Entra ID token).
	APIVersion string `yaml:"api_version"`
	Auth       string `yaml:"auth"`

	// Bedrock: the AWS region, and static credentials. Without them the
	// standard AWS environment variables are used (AWS_ACCESS_KEY_ID,
	// AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN). APIKey, when set, is a
	// Bedrock API key sent as a bearer token instead of SigV4 signing.
	// Other types may set Region too: it is where their deployments process
	// data by default, matched against keys' allowed_regions.
	Region          string `yaml:"region"`
	AccessKeyID     string `yaml:"access_key_id"`
	SecretAccessKey string `yaml:"secret_access_key"`
	SessionToken    string `yaml:"session_token"`

	// Anthropic: APIVersion is the anthropic-version header (default
	// "2023-06-01").

	// Headers are added to every upstream request.
	Headers map[string]string `yaml:"headers"`

	Timeouts Timeouts `yaml:"timeouts"`
	Pos      Pos      `yaml:"-"`
}

// Timeouts bound one upstream attempt.
type Timeouts struct {
	// Connect bounds dialing the provider. Default 5s.
	Connect Duration `yaml:"connect"`
	// FirstByte bounds the wait for a stream's response headers and first
	// event. Failover is possible only until then. Default 60s.
	FirstByte Duration `yaml:"first_byte"`
	// Response bounds the wait for a whole non-stream answer, which clouds send
	// only once it is complete: long reasoning answers need minutes. Failover
	// is possible until it passes. Default 10m.
	Response Duration `yaml:"response"`
	// Idle bounds the gap between two chunks of a stream once it has
	// started. The stream is then cut with an error: the client has its
	// first bytes, so there is no failover. Default 5m, Envoy's
	// stream_idle_timeout, because reasoning models can pause long.
	Idle Duration `yaml:"idle"`
}

// Routing policies.
const (
	RoutePriority   = "priority"   // priority order, weighted random among equal priority
	RouteWeighted   = "weighted"   // weighted random across all deployments
	RouteCheapest   = "cheapest"   // lowest expected cost of this request
	RouteFastest    = "fastest"    // lowest expected latency, learnt from traffic
	RouteCommitment = "commitment" // lowest effective marginal cost, commitments first
)

// Model is a public model name and the deployments that can serve it.
type Model struct {
	Name        string       `yaml:"name"`
	Routing     string       `yaml:"routing"` // default "priority"
	Deployments []Deployment `yaml:"deployments"`
	// Fallbacks are models tried, in order, when no deployment of this one
	// could answer; each brings its own fallbacks after it.
	Fallbacks []string `yaml:"fallbacks"`
	Pos       Pos      `yaml:"-"`
}

// Deployment is one way to serve a model: a provider and its native model id.
type Deployment struct {
	// Name identifies the deployment in headers, logs and reports. Default
	// "PROVIDER/MODEL". Unique across the config.
	Name     string `yaml:"name"`
	Provider string `yaml:"provider"` // a Provider.Name
	Model    string `yaml:"model"`    // the provider's native model id (Azure: deployment name)
	Price    Price  `yaml:"price"`
	Quota    Quota  `yaml:"quota"`
	Priority int    `yaml:"priority"` // lower is tried first; default 1
	Weight   int    `yaml:"weight"`   // share among equal priority; default 1
	// Region is where the deployment processes data, matched against keys'
	// allowed_regions. Default: the provider's region, if it has one.
	Region string `yaml:"region"`
	// MaxConcurrent caps the requests in flight to this deployment; 0 means
	// no cap.
	MaxConcurrent int `yaml:"max_concurrent"`
	// Commitment names the commitment this deployment draws on. Default: the
	// commitment that lists it, else the one commitment of its provider that
	// lists no deployments (and so covers them all).
	Commitment string `yaml:"commitment"`
	// PrioritySet and WeightSet record that the YAML gave priority or weight,
	// so defaults can tell an explicit priority 0 from an omitted one.
	PrioritySet bool `yaml:"-"`
	WeightSet   bool `yaml:"-"`
	Pos         Pos  `yaml:"-"`
}

// Quota is a deployment's rate limit at the provider. Zero means unknown/unlimited.
type Quota struct {
	RPM int64 `yaml:"rpm"`
	TPM int64 `yaml:"tpm"`
}

// Pos is where a YAML node was declared. The zero Pos means "not from a file".
type Pos struct {
	Line, Column int
}

// Duration is a time.Duration written in YAML as "30s", "5m" or "1h30m".
type Duration time.Duration

// D returns d as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// Size is a byte count written in YAML as an integer or "32MiB", "512KiB", "1GB".
type Size int64
