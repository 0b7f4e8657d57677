package main

import (
	"runtime/debug"
	"strings"
)

// versionText describes the build: the module version (a release tag, or
// "(devel)" for a build from a checkout, unless -ldflags set main.version)
// and the VCS revision and commit time the go command stamps into the
// binary, so a running node can be traced to its commit.
func versionText(info *debug.BuildInfo, ok bool) string {
	if !ok {
		return "vitrin " + version
	}
	v := info.Main.Version
	if version != "dev" || v == "" {
		v = version
	}
	vcs := map[string]string{}
	for _, s := range info.Settings {
		if name, found := strings.CutPrefix(s.Key, "vcs."); found {
			vcs[name] = s.Value
		}
	}
	out := "vitrin " + v
	if rev := vcs["revision"]; rev != "" {
		if vcs["modified"] == "true" {
			rev += " (modified)"
		}
		out += "\nrevision " + rev + "\ncommitted " + vcs["time"]
	}
	return out + "\n" + info.GoVersion
}
