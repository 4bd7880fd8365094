package client

import (
	"runtime/debug"
	"sync"
)

const modulePath = "github.com/aeron-bypass/aeron-bypass"

// MaxClientNameLength bounds Config.ClientName, as Aeron bounds
// aeron.client.name.
const MaxClientNameLength = 100

// versionInfo is "version=V commit=C" for this library, as Aeron's clients
// format theirs (AeronCounters.formatVersionInfo), from the build
// information Go records in the binary.
var versionInfo = sync.OnceValue(func() string {
	version, commit := "unknown", "unknown"
	if bi, ok := debug.ReadBuildInfo(); ok {
		if bi.Main.Path == modulePath {
			version = bi.Main.Version
			for _, s := range bi.Settings {
				if s.Key == "vcs.revision" && s.Value != "" {
					commit = s.Value[:min(10, len(s.Value))]
				}
			}
		}
		for _, d := range bi.Deps {
			if d.Path == modulePath {
				version = d.Version
			}
		}
	}
	return "version=" + version + " commit=" + commit
})
