//go:build !dpdk

package dpdk

import (
	"errors"

	"github.com/aeron-bypass/aeron-bypass/backend"
)

// New fails in a build without the DPDK binding.
func New(backend.Options, Config) (backend.Backend, error) {
	return nil, errors.New("dpdk backend: " + notBuiltIn)
}
