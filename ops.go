package main

import (
	"fmt"
	"io"
	"log/slog"
	"runtime/debug"
)

// newLogger makes the server's logger from -log-format and -log-level.
func newLogger(w io.Writer, format, level string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("-log-level %q: want debug, info, warn or error", level)
	}
	opts := &slog.HandlerOptions{Level: lv}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("-log-format %q: want text or json", format)
}

// release, when set at build time (go build -ldflags "-X main.release=1.4.0"),
// names this build instead of the module version: what a packager stamps.
var release string

// buildVersion is release, else the module version ("(devel)" from a checkout).
func buildVersion() string {
	if release != "" {
		return release
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return bi.Main.Version
	}
	return "(devel)"
}

// printVersion prints buildVersion, the VCS revision
// and time stamped by go build, and the Go version.
func printVersion(w io.Writer) {
	version, revision, at, goVersion := buildVersion(), "unknown", "", "unknown"
	if bi, ok := debug.ReadBuildInfo(); ok {
		goVersion = bi.GoVersion
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				revision = s.Value
			case "vcs.time":
				at = " " + s.Value
			case "vcs.modified":
				if s.Value == "true" {
					revision += " (modified)"
				}
			}
		}
	}
	fmt.Fprintf(w, "corsedge %s\nrevision %s%s\n%s\n", version, revision, at, goVersion)
}
