// Package agent runs the driver's duty-cycle agents (conductor, sender,
// receiver) the way Aeron does: each agent does a bounded amount of work per
// call and reports how much; an idle strategy decides how to wait when there
// was none. A Runner keeps one or more agents on a goroutine locked to its
// OS thread, so DEDICATED, SHARED_NETWORK and SHARED threading modes are a
// matter of how agents are grouped into runners.
package agent
