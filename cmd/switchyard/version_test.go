package main

import (
	"debug/elf"
	"os/exec"
	"regexp"
	"runtime/debug"
	"strings"
	"testing"
)

func TestVersionLine(t *testing.T) {
	settings := func(kv ...string) []debug.BuildSetting {
		var out []debug.BuildSetting
		for i := 0; i < len(kv); i += 2 {
			out = append(out, debug.BuildSetting{Key: kv[i], Value: kv[i+1]})
		}
		return out
	}
	for _, tt := range []struct {
		name string
		bi   *debug.BuildInfo
		want string
	}{
		{"tagged", &debug.BuildInfo{Main: debug.Module{Version: "v1.2.3"},
			Settings: settings("vcs.revision", "abc123", "vcs.time", "2026-12-07T12:00:00Z", "vcs.modified", "false")},
			"switchyard v1.2.3 (commit abc123, 2026-12-07T12:00:00Z) "},
		{"dirty pseudo-version", &debug.BuildInfo{Main: debug.Module{Version: "v0.0.0-20261207120000-abc123+dirty"},
			Settings: settings("vcs.revision", "abc123", "vcs.modified", "true")},
			"switchyard v0.0.0-20261207120000-abc123+dirty (commit abc123, modified) "},
		{"commit without a module version", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"},
			Settings: settings("vcs.revision", "abc123")}, "switchyard untagged (commit abc123) "},
		{"no VCS", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}},
			"switchyard unknown version (no commit recorded: "},
		{"no build info", nil, "switchyard unknown version (no commit recorded: "},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := versionLine(tt.bi); !strings.HasPrefix(got, tt.want) || strings.Contains(got, "devel") {
				t.Errorf("versionLine = %q, want it to start %q", got, tt.want)
			}
		})
	}
}

// TestVersion: the built binary names the commit it was built from.
func TestVersion(t *testing.T) {
	out, code := run(t, nil, "version")
	if code != 0 || !strings.HasPrefix(out, "switchyard ") || strings.Contains(out, "devel") {
		t.Fatalf("exit %d: %s", code, out)
	}
	if _, err := exec.Command("git", "rev-parse", "HEAD").Output(); err != nil {
		t.Skipf("not a git checkout (%v): no commit to compare", err)
	}
	m := regexp.MustCompile(`\(commit ([0-9a-f]{40})`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("version names no commit: %s", out)
	}
	// HEAD, or an ancestor when a commit landed after the build.
	if err := exec.Command("git", "merge-base", "--is-ancestor", m[1], "HEAD").Run(); err != nil {
		t.Errorf("version names commit %s, which is not HEAD or before it: %v", m[1], err)
	}
}

// TestStaticBuild: the binary the tests run was built with CGO_ENABLED=0,
// as the README says, and has no dynamic loader: it runs on any Linux of
// its architecture, even a scratch container.
func TestStaticBuild(t *testing.T) {
	f, err := elf.Open(binary)
	if err != nil {
		t.Skipf("not an ELF binary on this platform: %v", err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Fatal("the binary asks for a dynamic loader: not static")
		}
	}
	if libs, _ := f.ImportedLibraries(); len(libs) > 0 {
		t.Fatalf("the binary links %v", libs)
	}
}
