package deploy

import (
	"bufio"
	"debug/buildinfo"
	"debug/elf"
	"net"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/switchyard/switchyard/internal/admin"
	"github.com/switchyard/switchyard/internal/config"
	"github.com/switchyard/switchyard/internal/gateway"
	"go.yaml.in/yaml/v3"
)

// compose is the part of compose.yaml these tests read.
type compose struct {
	Services map[string]service `yaml:"services"`
	Volumes  map[string]any     `yaml:"volumes"`
}

type service struct {
	Build       string            `yaml:"build"`
	Image       string            `yaml:"image"`
	Command     []string          `yaml:"command"`
	Environment map[string]string `yaml:"environment"`
	Volumes     []string          `yaml:"volumes"`
	Ports       []string          `yaml:"ports"`
	NetworkMode string            `yaml:"network_mode"`
	DependsOn   yaml.Node         `yaml:"depends_on"`
	Healthcheck *struct {
		Test []string `yaml:"test"`
	} `yaml:"healthcheck"`
}

// The replicas and their emulated clouds, as compose.yaml names them.
var (
	replicas  = []string{"gateway-1", "gateway-2"}
	emulators = map[string]string{"emulator-1": "gateway-1", "emulator-2": "gateway-2"}
)

func loadCompose(t *testing.T) compose {
	t.Helper()
	data, err := os.ReadFile("../compose.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var c compose
	if err := yaml.Unmarshal(data, &c); err != nil {
		t.Fatalf("compose.yaml: %v", err)
	}
	return c
}

// composeDefault does what compose does to ${VAR:-default} with VAR unset,
// so tests see what `docker compose up` passes with no .env file.
var composeRef = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)(:?-([^}]*))?\}`)

func composeDefault(t *testing.T, s string) string {
	t.Helper()
	return composeRef.ReplaceAllStringFunc(s, func(ref string) string {
		m := composeRef.FindStringSubmatch(ref)
		if m[2] == "" {
			t.Errorf("%s has no default: docker compose up would need it set", ref)
		}
		return m[3]
	})
}

// env is a replica's environment as the container sees it.
func env(t *testing.T, s service) map[string]string {
	t.Helper()
	out := make(map[string]string, len(s.Environment))
	for k, v := range s.Environment {
		out[k] = composeDefault(t, v)
	}
	return out
}

func TestComposeReplicasShareOneImageStoreAndCluster(t *testing.T) {
	c := loadCompose(t)
	for _, name := range append(slices.Clone(replicas), "postgres", "redis", "lb", "emulator-1", "emulator-2") {
		if _, ok := c.Services[name]; !ok {
			t.Fatalf("compose.yaml has no service %q", name)
		}
	}
	first := c.Services[replicas[0]]
	firstEnv := env(t, first)
	for _, name := range replicas {
		s := c.Services[name]
		e := env(t, s)
		if s.Build != "." || s.Image == "" || s.Image != first.Image {
			t.Errorf("%s: build %q image %q; want build . and the image %q every replica runs", name, s.Build, s.Image, first.Image)
		}
		pg, err := url.Parse(e["SWITCHYARD_STORE_POSTGRES"])
		if err != nil || pg.Scheme != "postgres" || pg.Host != "postgres:5432" {
			t.Errorf("%s: SWITCHYARD_STORE_POSTGRES = %q; want postgres://…@postgres:5432/…", name, e["SWITCHYARD_STORE_POSTGRES"])
		}
		rd, err := url.Parse(e["SWITCHYARD_CLUSTER_REDIS"])
		if err != nil || rd.Scheme != "redis" || rd.Host != "redis:6379" {
			t.Errorf("%s: SWITCHYARD_CLUSTER_REDIS = %q; want redis://redis:6379/…", name, e["SWITCHYARD_CLUSTER_REDIS"])
		}
		// Same store, same cluster, same pepper, same keys: one gateway.
		for _, k := range []string{"SWITCHYARD_STORE_POSTGRES", "SWITCHYARD_CLUSTER_REDIS", "SWITCHYARD_KEYS_PEPPER",
			"SWITCHYARD_ADMIN_TOKEN", "SWITCHYARD_DEMO_KEY"} {
			if e[k] == "" || e[k] != firstEnv[k] {
				t.Errorf("%s: %s = %q, %s has %q; replicas must share it", name, k, e[k], replicas[0], firstEnv[k])
			}
		}
		if e["SWITCHYARD_LISTEN"] != "0.0.0.0:8080" || e["SWITCHYARD_ADMIN_LISTEN"] != "0.0.0.0:8081" {
			t.Errorf("%s: listens on %q and %q; inside a container both must be 0.0.0.0 (8080, 8081)", name, e["SWITCHYARD_LISTEN"], e["SWITCHYARD_ADMIN_LISTEN"])
		}
		if !slices.Contains(s.Volumes, "./deploy/switchyard.yaml:/etc/switchyard/switchyard.yaml:ro") {
			t.Errorf("%s: volumes %v; want deploy/switchyard.yaml mounted read-only where the image's CMD reads it", name, s.Volumes)
		}
		if !slices.Contains(s.Volumes, name+"-data:/data") {
			t.Errorf("%s: volumes %v; want its own %s-data volume at /data", name, s.Volumes, name)
		}
		if _, ok := c.Volumes[name+"-data"]; !ok {
			t.Errorf("volume %s-data is not declared", name)
		}
		deps := dependsOn(t, s.DependsOn)
		for _, dep := range []string{"postgres", "redis"} {
			if deps[dep] != "service_healthy" {
				t.Errorf("%s: depends_on %s is %q; want condition: service_healthy", name, dep, deps[dep])
			}
			if c.Services[dep].Healthcheck == nil || len(c.Services[dep].Healthcheck.Test) == 0 {
				t.Errorf("%s has no healthcheck for service_healthy to wait on", dep)
			}
		}
	}
	for em, gw := range emulators {
		s := c.Services[em]
		if s.Image != first.Image || s.NetworkMode != "service:"+gw {
			t.Errorf("%s: image %q network_mode %q; want %q in %s's network", em, s.Image, s.NetworkMode, first.Image, gw)
		}
		if len(s.Command) < 2 || s.Command[0] != "emulate" || s.Command[1] != "openai" {
			t.Errorf("%s: command %v; want emulate openai", em, s.Command)
		}
	}
}

// dependsOn reads depends_on in either of its forms: a list of names, or a
// mapping of names to {condition: …}.
func dependsOn(t *testing.T, n yaml.Node) map[string]string {
	t.Helper()
	out := map[string]string{}
	switch n.Kind {
	case yaml.SequenceNode:
		for _, s := range n.Content {
			out[s.Value] = "service_started"
		}
	case yaml.MappingNode:
		var m map[string]struct {
			Condition string `yaml:"condition"`
		}
		if err := n.Decode(&m); err != nil {
			t.Fatalf("depends_on: %v", err)
		}
		for k, v := range m {
			out[k] = v.Condition
		}
	}
	return out
}

// The emulator listens on loopback (emulate refuses anything else) at the
// address the shipped config's provider calls.
func TestComposeEmulatorIsWhereTheConfigLooks(t *testing.T) {
	c := loadCompose(t)
	cfg := loadShipped(t, c)
	var base string
	for _, p := range cfg.Providers {
		base = p.BaseURL
	}
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	for em := range emulators {
		cmd := c.Services[em].Command
		i := slices.Index(cmd, "--listen")
		if i < 0 || i+1 >= len(cmd) {
			t.Fatalf("%s: command %v has no --listen", em, cmd)
		}
		host, _, err := net.SplitHostPort(cmd[i+1])
		if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
			t.Errorf("%s: --listen %s; emulators serve loopback only", em, cmd[i+1])
		}
		if cmd[i+1] != u.Host {
			t.Errorf("%s listens on %s, the config's provider calls %s", em, cmd[i+1], u.Host)
		}
	}
}

// loadShipped loads deploy/switchyard.yaml through config.Load with a
// replica's compose environment set, as the container does.
func loadShipped(t *testing.T, c compose) *config.Config {
	t.Helper()
	for _, o := range config.EnvOverrides {
		// Whatever the machine running the test has set must not leak in.
		t.Setenv(o.Var, "")
		if o.Alias != "" {
			t.Setenv(o.Alias, "")
		}
	}
	for k, v := range env(t, c.Services[replicas[0]]) {
		t.Setenv(k, v)
	}
	cfg, err := config.Load("switchyard.yaml")
	if err != nil {
		t.Fatalf("deploy/switchyard.yaml with the compose environment:\n%v", err)
	}
	return cfg
}

// The shipped config passes every check serve runs before it listens, in
// cluster mode, on the addresses compose gives it.
func TestShippedConfigLoads(t *testing.T) {
	c := loadCompose(t)
	cfg := loadShipped(t, c)
	if cfg.Listen != "0.0.0.0:8080" || cfg.Admin.Listen != "0.0.0.0:8081" {
		t.Errorf("listen %q, admin.listen %q; want the compose environment's", cfg.Listen, cfg.Admin.Listen)
	}
	if cfg.Store.Postgres == "" || cfg.Cluster.Redis == "" {
		t.Errorf("store.postgres %q, cluster.redis %q; want cluster mode", cfg.Store.Postgres, cfg.Cluster.Redis)
	}
	if cfg.DataDir != "/data" {
		t.Errorf("data_dir %q; want the image's /data volume", cfg.DataDir)
	}
	if err := admin.CheckListen(cfg.Admin.Listen, cfg.Admin.Token); err != nil {
		t.Errorf("admin listener: %v", err)
	}
	if err := gateway.Check(cfg); err != nil {
		t.Errorf("config check: %v", err)
	}
	// Outside a container, with nothing set but the secrets, the file
	// stays on loopback.
	for _, o := range config.EnvOverrides {
		t.Setenv(o.Var, "")
	}
	t.Setenv("SWITCHYARD_ADMIN_TOKEN", "admin-0123456789abcdef")
	local, err := config.Load("switchyard.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, addr := range []string{local.Listen, local.Admin.Listen} {
		if host, _, _ := net.SplitHostPort(addr); !net.ParseIP(host).IsLoopback() {
			t.Errorf("without the compose environment the file listens on %s; want loopback", addr)
		}
	}
}

// haproxy reads the backends of deploy/haproxy.cfg: each backend's health
// check and servers.
func haproxy(t *testing.T) map[string]struct {
	check   string
	servers []string
} {
	t.Helper()
	f, err := os.Open("haproxy.cfg")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]struct {
		check   string
		servers []string
	}{}
	var backend string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 || strings.HasPrefix(fields[0], "#") {
			continue
		}
		switch {
		case !strings.HasPrefix(sc.Text(), " ") && !strings.HasPrefix(sc.Text(), "\t"):
			backend = ""
			if fields[0] == "backend" && len(fields) > 1 {
				backend = fields[1]
			}
		case backend == "":
		case fields[0] == "server" && len(fields) > 2:
			b := out[backend]
			b.servers = append(b.servers, fields[2])
			out[backend] = b
		case len(fields) >= 4 && fields[0] == "option" && fields[1] == "httpchk":
			b := out[backend]
			b.check = fields[2] + " " + fields[3]
			out[backend] = b
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestLoadBalancerRoundRobinsBothReplicas(t *testing.T) {
	backends := haproxy(t)
	api := backends["gateways"]
	want := []string{"gateway-1:8080", "gateway-2:8080"}
	if !slices.Equal(api.servers, want) {
		t.Errorf("backend gateways: servers %v, want %v", api.servers, want)
	}
	if api.check != "GET /readyz" {
		t.Errorf("backend gateways: health check %q, want GET /readyz", api.check)
	}
	adm := backends["admins"]
	if !slices.Equal(adm.servers, []string{"gateway-1:8081", "gateway-2:8081"}) || adm.check != "GET /readyz" {
		t.Errorf("backend admins: servers %v check %q", adm.servers, adm.check)
	}
	data, err := os.ReadFile("haproxy.cfg")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), "balance roundrobin") {
		t.Error("haproxy.cfg does not round-robin")
	}
	c := loadCompose(t)
	if !slices.Contains(c.Services["lb"].Volumes, "./deploy/haproxy.cfg:/usr/local/etc/haproxy/haproxy.cfg:ro") {
		t.Errorf("lb: volumes %v; want deploy/haproxy.cfg mounted where haproxy reads it", c.Services["lb"].Volumes)
	}
	if deps := dependsOn(t, c.Services["lb"].DependsOn); deps["gateway-1"] == "" || deps["gateway-2"] == "" {
		t.Errorf("lb: depends_on %v; want both replicas", deps)
	}
}

// The Dockerfile builds a static binary into scratch, runs it as a non-root
// user, and reads the config where compose mounts it.
func TestDockerfile(t *testing.T) {
	data, err := os.ReadFile("../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	var from, builds []string
	var user, entry, cmd, expose string
	for _, line := range strings.Split(string(data), "\n") {
		instr, rest, _ := strings.Cut(line, " ")
		switch instr {
		case "FROM":
			from = append(from, rest)
		case "RUN":
			if strings.Contains(rest, "go build") {
				builds = append(builds, rest)
			}
		case "USER":
			user = rest
		case "ENTRYPOINT":
			entry = rest
		case "CMD":
			cmd = rest
		case "EXPOSE":
			expose = rest
		}
	}
	if !slices.Equal(from, []string{"golang:1.26 AS build", "scratch"}) {
		t.Errorf("FROM %q; want golang:1.26 AS build, then scratch", from)
	}
	if len(builds) != 1 {
		t.Fatalf("want one RUN … go build line (.ci/dockerbuild runs it), got %q", builds)
	}
	for _, flag := range []string{"CGO_ENABLED=0 ", "-trimpath", `-ldflags="-s -w"`, "-o /out/switchyard ./cmd/switchyard"} {
		if !strings.Contains(builds[0], flag) {
			t.Errorf("go build line %q lacks %s", builds[0], flag)
		}
	}
	if user != "65532:65532" {
		t.Errorf("USER %q; want 65532:65532", user)
	}
	if entry != `["/switchyard"]` || cmd != `["serve", "--config", "/etc/switchyard/switchyard.yaml"]` {
		t.Errorf("ENTRYPOINT %s CMD %s", entry, cmd)
	}
	if expose != "8080 8081" {
		t.Errorf("EXPOSE %q; want 8080 8081", expose)
	}
}

// The binary .ci/dockerbuild built with the Dockerfile's line is what
// scratch can run: a static ELF, no interpreter, no shared libraries, built
// as the Dockerfile says.
func TestImageBinaryIsStatic(t *testing.T) {
	path := os.Getenv("SWITCHYARD_IMAGE_BINARY")
	if path == "" {
		t.Skip("SWITCHYARD_IMAGE_BINARY unset; bash .ci/dockerbuild builds the binary and runs this")
	}
	f, err := elf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Error("has PT_INTERP: needs a dynamic loader scratch does not have")
		}
		if p.Type == elf.PT_DYNAMIC {
			t.Error("has PT_DYNAMIC: dynamically linked")
		}
	}
	if libs, err := f.ImportedLibraries(); err != nil || len(libs) > 0 {
		t.Errorf("imports shared libraries %v (%v)", libs, err)
	}
	// -trimpath keeps -ldflags out of the build info (it may hold paths),
	// so -s -w are checked by what they remove.
	if f.Section(".symtab") != nil {
		t.Error("has a symbol table: built without -s")
	}
	for _, s := range f.Sections {
		if strings.HasPrefix(s.Name, ".debug_") || strings.HasPrefix(s.Name, ".zdebug_") {
			t.Errorf("has DWARF section %s: built without -w", s.Name)
		}
	}
	bi, err := buildinfo.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	settings := map[string]string{}
	for _, s := range bi.Settings {
		settings[s.Key] = s.Value
	}
	for k, v := range map[string]string{"CGO_ENABLED": "0", "-trimpath": "true", "-tags": "timetzdata"} {
		if settings[k] != v {
			t.Errorf("build setting %s = %q, want %q", k, settings[k], v)
		}
	}
	if bi.Path != "github.com/switchyard/switchyard/cmd/switchyard" {
		t.Errorf("main package %q", bi.Path)
	}
}
