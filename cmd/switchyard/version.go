package main

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"
)

// version overrides the module version when set at build time with
// -ldflags "-X main.version=v1.2.3".
var version = ""

func versionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version, commit and build",
		Long: `Print the version the Go toolchain stamped into the binary: the module
version (a tag, or a pseudo-version naming the commit), the commit, its time,
and whether the work tree had uncommitted changes; then the platform and the Go
version. A binary built outside a git checkout (or with -buildvcs=false) has no
commit to report and says so.`,
		Args: cobra.NoArgs,
		Run: func(cmd *cobra.Command, _ []string) {
			bi, _ := debug.ReadBuildInfo()
			fmt.Fprintln(cmd.OutOrStdout(), versionLine(bi))
		},
	}
}

// versionLine formats what bi says about the build; bi may be nil.
func versionLine(bi *debug.BuildInfo) string {
	v := version
	var rev, at string
	modified := false
	if bi != nil {
		if v == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			v = bi.Main.Version
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.time":
				at = s.Value
			case "vcs.modified":
				modified = s.Value == "true"
			}
		}
	}
	var b strings.Builder
	b.WriteString("switchyard ")
	switch {
	case v != "":
		b.WriteString(v)
	case rev != "":
		b.WriteString("untagged")
	default:
		b.WriteString("unknown version")
	}
	if rev != "" {
		fmt.Fprintf(&b, " (commit %s", rev)
		if at != "" {
			fmt.Fprintf(&b, ", %s", at)
		}
		if modified {
			b.WriteString(", modified")
		}
		b.WriteByte(')')
	} else {
		b.WriteString(" (no commit recorded: built outside a git checkout or with -buildvcs=false)")
	}
	fmt.Fprintf(&b, " %s/%s %s", runtime.GOOS, runtime.GOARCH, runtime.Version())
	return b.String()
}
