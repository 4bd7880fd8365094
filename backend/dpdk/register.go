package dpdk

import (
	"github.com/aeron-bypass/aeron-bypass/backend"
)

// Name is the registry name of this backend.
const Name = "dpdk"

// Ranks: above AF_XDP (20) only with a cloud NIC bound and ready; below it,
// but above kernel UDP, when the configuration names devices (vdevs) for
// it.
const (
	rankDevice     = 10
	rankConfigured = 30
)

func init() {
	backend.Register(backend.Factory{
		Name:  Name,
		Rank:  rankDevice,
		Probe: func(o backend.Options) backend.ProbeResult { return Probe(o, currentConfig()) },
		New:   func(o backend.Options) (backend.Backend, error) { return New(o, currentConfig()) },
	})
}
