package backend

import (
	"fmt"
	"sort"
	"sync"
)

// Options carry the configuration every backend may read at probe and open
// time.
type Options struct {
	// Interface is the network interface to use (name), empty to let the
	// backend decide from the routes of the channels it opens.
	Interface string
	// Queues restricts a multi-queue backend to these queue ids; empty
	// means all of the interface's queues.
	Queues []int
	// QueueCount, when positive, sets the interface's queue count
	// (ethtool channels) while the backend runs; 0 keeps it.
	QueueCount int
	// BatchSize overrides the backend's preferred batch size when > 0.
	BatchSize int
	// SocketRcvBuf and SocketSndBuf are the default kernel socket buffer
	// sizes (Aeron's socket.so_rcvbuf / socket.so_sndbuf).
	SocketRcvBuf int
	SocketSndBuf int
	// MTU is the default channel MTU (Aeron's mtu.length).
	MTU int
}

// ProbeResult says whether a backend can run here, why, and what it would use.
type ProbeResult struct {
	Name      string `json:"name"`
	Available bool   `json:"available"`
	Reason    string `json:"reason"`
	// Rank orders backends: lower is faster. Auto picks the available
	// backend with the lowest rank.
	Rank int `json:"rank"`
	// Interface, Queues and Mode describe what the backend would use.
	Interface string `json:"interface,omitempty"`
	Queues    []int  `json:"queues,omitempty"`
	Mode      string `json:"mode,omitempty"`
	// Details holds backend-specific facts (driver, zero-copy, ...).
	Details map[string]string `json:"details,omitempty"`
}

// Factory is a backend implementation known to the registry.
type Factory struct {
	Name string
	// Rank is the default rank; Probe may adjust it (DPDK ranks above
	// AF_XDP only when a supported device is bound).
	Rank  int
	Probe func(Options) ProbeResult
	New   func(Options) (Backend, error)
}

var (
	mu        sync.Mutex
	factories = map[string]Factory{}
)

// Register adds a backend implementation. It is called from the init
// function of each backend package; registering a name twice panics because
// it is a programming error, not input.
func Register(f Factory) {
	mu.Lock()
	defer mu.Unlock()
	if _, dup := factories[f.Name]; dup {
		panic("backend: duplicate registration of " + f.Name)
	}
	factories[f.Name] = f
}

// Names lists the registered backends in rank order.
func Names() []string {
	var names []string
	for _, r := range Probe(Options{}) {
		names = append(names, r.Name)
	}
	return names
}

// Probe asks every registered backend whether it can run, and returns the
// answers fastest first (by rank, then name).
func Probe(opts Options) []ProbeResult {
	mu.Lock()
	fs := make([]Factory, 0, len(factories))
	for _, f := range factories {
		fs = append(fs, f)
	}
	mu.Unlock()
	results := make([]ProbeResult, 0, len(fs))
	for _, f := range fs {
		r := f.Probe(opts)
		r.Name = f.Name
		if r.Rank == 0 {
			r.Rank = f.Rank
		}
		results = append(results, r)
	}
	sort.Slice(results, func(i, j int) bool {
		if results[i].Rank != results[j].Rank {
			return results[i].Rank < results[j].Rank
		}
		return results[i].Name < results[j].Name
	})
	return results
}

// Auto is the name that asks the registry to choose.
const Auto = "auto"

// Choose resolves a backend name ("auto" or a registered name) to the
// factory to use. It returns the probe result of the chosen backend and all
// probe results, so the caller can log why. A named backend that is not
// available is an error carrying its reason.
func Choose(name string, opts Options) (Factory, ProbeResult, []ProbeResult, error) {
	results := Probe(opts)
	mu.Lock()
	defer mu.Unlock()
	if name == "" || name == Auto {
		for _, r := range results {
			if r.Available {
				return factories[r.Name], r, results, nil
			}
		}
		return Factory{}, ProbeResult{}, results, fmt.Errorf("no backend is available: %s", summary(results))
	}
	f, ok := factories[name]
	if !ok {
		return Factory{}, ProbeResult{}, results, fmt.Errorf("unknown backend %q (known: %s)", name, known(results))
	}
	for _, r := range results {
		if r.Name == name {
			if !r.Available {
				return Factory{}, r, results, fmt.Errorf("backend %s is not available: %s", name, r.Reason)
			}
			return f, r, results, nil
		}
	}
	return Factory{}, ProbeResult{}, results, fmt.Errorf("backend %s did not answer the probe", name)
}

func summary(results []ProbeResult) string {
	s := ""
	for i, r := range results {
		if i > 0 {
			s += "; "
		}
		s += r.Name + ": " + r.Reason
	}
	return s
}

func known(results []ProbeResult) string {
	s := Auto
	for _, r := range results {
		s += ", " + r.Name
	}
	return s
}
