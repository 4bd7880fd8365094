package dpdk

import (
	"errors"

	"github.com/aeron-bypass/aeron-bypass/backend"
)

// Name is the registry name of this backend.
const Name = "dpdk"

func init() {
	backend.Register(backend.Factory{
		Name: Name,
		Rank: 10,
		Probe: func(o backend.Options) backend.ProbeResult {
			return backend.ProbeResult{Interface: o.Interface, Reason: unavailable}
		},
		New: func(backend.Options) (backend.Backend, error) { return nil, errors.New("dpdk: " + unavailable) },
	})
}
