package main

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// version is set at build time with -ldflags "-X main.version=v1.2.3".
var version = ""

func versionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Args:  cobra.NoArgs,
		Run: func(cmd *cobra.Command, _ []string) {
			v := version
			if v == "" {
				v = "devel"
				if bi, ok := debug.ReadBuildInfo(); ok {
					if bi.Main.Version != "" && bi.Main.Version != "(devel)" {
						v = bi.Main.Version
					}
					for _, s := range bi.Settings {
						if s.Key == "vcs.revision" && len(s.Value) >= 12 {
							v += " " + s.Value[:12]
						}
					}
				}
			}
			fmt.Fprintf(cmd.OutOrStdout(), "switchyard %s %s/%s %s\n", v, runtime.GOOS, runtime.GOARCH, runtime.Version())
		},
	}
}
