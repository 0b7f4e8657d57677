package main

import (
	"runtime/debug"
	"testing"
)

func TestVersionText(t *testing.T) {
	vcs := func(modified string) []debug.BuildSetting {
		return []debug.BuildSetting{{Key: "-compiler", Value: "gc"}, {Key: "vcs", Value: "git"},
			{Key: "vcs.revision", Value: "4ba2777a4356098cd24c75b4fee50d3a59db12b8"},
			{Key: "vcs.time", Value: "2026-12-02T04:34:23Z"}, {Key: "vcs.modified", Value: modified}}
	}
	tests := []struct {
		name string
		info *debug.BuildInfo
		ok   bool
		want string
	}{
		{"release", &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v1.2.0"}, Settings: vcs("false")}, true,
			"vitrin v1.2.0\nrevision 4ba2777a4356098cd24c75b4fee50d3a59db12b8\ncommitted 2026-12-02T04:34:23Z\ngo1.26.8"},
		{"checkout with changes", &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"}, Settings: vcs("true")}, true,
			"vitrin (devel)\nrevision 4ba2777a4356098cd24c75b4fee50d3a59db12b8 (modified)\ncommitted 2026-12-02T04:34:23Z\ngo1.26.8"},
		{"built without VCS stamps", &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"}}, true,
			"vitrin (devel)\ngo1.26.8"},
		{"no build info", nil, false, "vitrin dev"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := versionText(tt.info, tt.ok); got != tt.want {
				t.Errorf("got\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}
