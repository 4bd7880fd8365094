// Command aeron-bypass is an Aeron media driver whose network path can
// bypass the kernel. With no subcommand it runs the driver; `probe` says
// which network backend it would use and why; `stat` and `errors` read a
// running driver's counters and distinct error log; `version` prints versions.
package main

import (
	"fmt"
	"os"

	// Backends register themselves with the registry.
	_ "github.com/aeron-bypass/aeron-bypass/backend/dpdk"
	_ "github.com/aeron-bypass/aeron-bypass/backend/udp"
	_ "github.com/aeron-bypass/aeron-bypass/backend/xdp"
	"github.com/aeron-bypass/aeron-bypass/driver/config"
)

func main() {
	args, err := config.TranslateJavaArgs(os.Args[1:])
	if err != nil {
		fmt.Fprintln(os.Stderr, "aeron-bypass:", err)
		os.Exit(2)
	}
	cmd := newRootCommand()
	cmd.SetArgs(args)
	if err := cmd.Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "aeron-bypass:", err)
		os.Exit(1)
	}
}
