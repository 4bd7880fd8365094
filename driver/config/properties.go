package config

// Kind is how a property's value is written.
type Kind int

// Property kinds.
const (
	String Kind = iota
	Bool
	Int
	Size     // bytes, with k/m/g suffixes
	Duration // nanoseconds, or with a unit
	Enum
	IntList
)

// Property ties a setting's names to a Config field.
type Property struct {
	// Name is the Aeron property name, e.g. "aeron.dir".
	Name string
	// Field is the Config field it sets.
	Field string
	Kind  Kind
	// Default is the value in property syntax; "" leaves the zero value.
	Default string
	// Values lists the accepted values of an Enum (upper or lower case).
	Values      []string
	Description string
}

// Properties is every setting the driver reads, in documentation order.
var Properties = []Property{
	{Name: "aeron.bypass.backend", Field: "Backend", Kind: Enum, Default: "auto", Values: []string{"auto", "xdp", "dpdk", "udp"}, Description: "network path: auto-probed, AF_XDP, DPDK or kernel UDP"},
	{Name: "aeron.bypass.interface", Field: "Interface", Kind: String, Description: "network interface for the bypass backends"},
	{Name: "aeron.bypass.queues", Field: "Queues", Kind: IntList, Description: "NIC queue ids the bypass backends use (default all)"},
	{Name: "aeron.bypass.queue.count", Field: "QueueCount", Kind: Int, Default: "0", Description: "set the interface's queue count for AF_XDP (ethtool channels), restored on exit; 0 leaves it"},

	{Name: "aeron.dir", Field: "Dir", Kind: String, Description: "directory of cnc.dat and the log buffers (default /dev/shm/aeron-$USER)"},
	{Name: "aeron.dir.delete.on.start", Field: "DirDeleteOnStart", Kind: Bool, Default: "false", Description: "delete an existing aeron.dir at start"},
	{Name: "aeron.dir.delete.on.shutdown", Field: "DirDeleteOnShutdown", Kind: Bool, Default: "false", Description: "delete aeron.dir at shutdown"},
	{Name: "aeron.dir.warn.if.exists", Field: "DirWarnIfExists", Kind: Bool, Default: "false", Description: "warn when aeron.dir already exists"},
	{Name: "aeron.threading.mode", Field: "ThreadingMode", Kind: Enum, Default: "DEDICATED", Values: []string{"DEDICATED", "SHARED_NETWORK", "SHARED"}, Description: "agents on their own threads, sender+receiver shared, or all on one thread"},
	{Name: "aeron.conductor.idle.strategy", Field: "ConductorIdleStrategy", Kind: String, Default: "backoff", Description: "idle strategy of the conductor"},
	{Name: "aeron.sender.idle.strategy", Field: "SenderIdleStrategy", Kind: String, Default: "backoff", Description: "idle strategy of the sender"},
	{Name: "aeron.receiver.idle.strategy", Field: "ReceiverIdleStrategy", Kind: String, Default: "backoff", Description: "idle strategy of the receiver"},
	{Name: "aeron.sharednetwork.idle.strategy", Field: "SharedNetworkIdleStrategy", Kind: String, Default: "backoff", Description: "idle strategy of the shared sender+receiver thread"},
	{Name: "aeron.shared.idle.strategy", Field: "SharedIdleStrategy", Kind: String, Default: "backoff", Description: "idle strategy of the single shared thread"},
	{Name: "aeron.conductor.buffer.length", Field: "ConductorBufferLength", Kind: Size, Default: "1049344", Description: "to-driver ring buffer, 768-byte trailer included"},
	{Name: "aeron.clients.buffer.length", Field: "ClientsBufferLength", Kind: Size, Default: "1048704", Description: "to-clients broadcast buffer, 128-byte trailer included"},
	{Name: "aeron.counters.buffer.length", Field: "CountersBufferLength", Kind: Size, Default: "8m", Description: "counter values (metadata is four times larger)"},
	{Name: "aeron.error.buffer.length", Field: "ErrorBufferLength", Kind: Size, Default: "4m", Description: "distinct error log"},
	{Name: "aeron.loss.report.buffer.length", Field: "LossReportBufferLength", Kind: Size, Default: "1m", Description: "loss report"},
	{Name: "aeron.client.liveness.timeout", Field: "ClientLivenessTimeout", Kind: Duration, Default: "10s", Description: "a client silent this long is timed out"},
	{Name: "aeron.driver.timeout", Field: "DriverTimeout", Kind: Duration, Default: "10s", Description: "driver liveness timeout"},
	{Name: "aeron.timer.interval", Field: "TimerInterval", Kind: Duration, Default: "1s", Description: "conductor housekeeping interval"},
	{Name: "aeron.term.buffer.length", Field: "TermBufferLength", Kind: Size, Default: "16m", Description: "term length of network publications"},
	{Name: "aeron.ipc.term.buffer.length", Field: "IpcTermBufferLength", Kind: Size, Default: "64m", Description: "term length of IPC publications"},
	{Name: "aeron.term.buffer.sparse.file", Field: "TermBufferSparseFile", Kind: Bool, Default: "true", Description: "leave log buffer files sparse"},
	{Name: "aeron.file.page.size", Field: "FilePageSize", Kind: Size, Default: "4096", Description: "page size of log buffer files"},
	{Name: "aeron.perform.storage.checks", Field: "PerformStorageChecks", Kind: Bool, Default: "true", Description: "check free space before creating log buffers"},
	{Name: "aeron.low.file.store.warning.threshold", Field: "LowFileStoreWarningThreshold", Kind: Size, Default: "160m", Description: "warn when free space falls below"},
	{Name: "aeron.mtu.length", Field: "MTULength", Kind: Size, Default: "1408", Description: "MTU of network publications"},
	{Name: "aeron.ipc.mtu.length", Field: "IpcMTULength", Kind: Size, Default: "1408", Description: "MTU of IPC publications"},
	{Name: "aeron.publication.term.window.length", Field: "PublicationTermWindowLength", Kind: Size, Default: "0", Description: "publisher window (0: term length / 2)"},
	{Name: "aeron.ipc.publication.term.window.length", Field: "IpcPublicationTermWindowLength", Kind: Size, Default: "0", Description: "IPC publisher window (0: term length / 2)"},
	{Name: "aeron.publication.linger.timeout", Field: "PublicationLingerTimeout", Kind: Duration, Default: "5s", Description: "how long a closed publication lingers"},
	{Name: "aeron.publication.unblock.timeout", Field: "PublicationUnblockTimeout", Kind: Duration, Default: "15s", Description: "unblock a publication stalled by a dead publisher after"},
	{Name: "aeron.publication.connection.timeout", Field: "PublicationConnectionTimeout", Kind: Duration, Default: "5s", Description: "a publication without status messages this long is not connected"},
	{Name: "aeron.spies.simulate.connection", Field: "SpiesSimulateConnection", Kind: Bool, Default: "false", Description: "spies count as receivers for connection"},
	{Name: "aeron.socket.so_rcvbuf", Field: "SocketSoRcvbuf", Kind: Size, Default: "128k", Description: "socket receive buffer (0: OS default)"},
	{Name: "aeron.socket.so_sndbuf", Field: "SocketSoSndbuf", Kind: Size, Default: "0", Description: "socket send buffer (0: OS default)"},
	{Name: "aeron.socket.multicast.ttl", Field: "SocketMulticastTTL", Kind: Int, Default: "0", Description: "multicast TTL (0: OS default)"},
	{Name: "aeron.rcv.initial.window.length", Field: "RcvInitialWindowLength", Kind: Size, Default: "128k", Description: "initial receiver window"},
	{Name: "aeron.rcv.status.message.timeout", Field: "RcvStatusMessageTimeout", Kind: Duration, Default: "200ms", Description: "status message interval when idle"},
	{Name: "aeron.send.to.status.poll.ratio", Field: "SendToStatusPollRatio", Kind: Int, Default: "6", Description: "sends per poll for status messages"},
	{Name: "aeron.image.liveness.timeout", Field: "ImageLivenessTimeout", Kind: Duration, Default: "10s", Description: "an image without data or heartbeats this long goes away"},
	{Name: "aeron.nak.unicast.delay", Field: "NakUnicastDelay", Kind: Duration, Default: "1us", Description: "NAK delay on unicast"},
	{Name: "aeron.nak.unicast.retry.delay.ratio", Field: "NakUnicastRetryDelayRatio", Kind: Int, Default: "100", Description: "NAK retry delay as a multiple of the NAK delay"},
	{Name: "aeron.nak.multicast.group.size", Field: "NakMulticastGroupSize", Kind: Int, Default: "10", Description: "estimated multicast group size for NAK backoff"},
	{Name: "aeron.nak.multicast.max.backoff", Field: "NakMulticastMaxBackoff", Kind: Duration, Default: "10ms", Description: "maximum multicast NAK backoff"},
	{Name: "aeron.retransmit.unicast.delay", Field: "RetransmitUnicastDelay", Kind: Duration, Default: "0", Description: "delay before answering a unicast NAK"},
	{Name: "aeron.retransmit.unicast.linger", Field: "RetransmitUnicastLinger", Kind: Duration, Default: "10ms", Description: "ignore repeated NAKs for this long"},
	{Name: "aeron.max.resend", Field: "MaxResend", Kind: Int, Default: "16", Description: "retransmissions in flight per publication (1..256)"},
	{Name: "aeron.flow.control.receiver.timeout", Field: "FlowControlReceiverTimeout", Kind: Duration, Default: "5s", Description: "min/tagged flow control drops a silent receiver after"},
	{Name: "aeron.flow.control.group.tag", Field: "FlowControlGroupTag", Kind: Int, Default: "-1", Description: "tagged flow control group"},
	{Name: "aeron.flow.control.group.min.size", Field: "FlowControlGroupMinSize", Kind: Int, Default: "0", Description: "receivers required before tagged flow control connects"},
	{Name: "aeron.receiver.group.tag", Field: "ReceiverGroupTag", Kind: String, Description: "group tag receivers put in status messages, for tagged flow control (unset: none)"},
	{Name: "aeron.CubicCongestionControl.measureRtt", Field: "CubicMeasureRTT", Kind: Bool, Default: "false", Description: "cubic congestion control measures RTT with RTTM frames"},
	{Name: "aeron.CubicCongestionControl.initialRtt", Field: "CubicInitialRTT", Kind: Duration, Default: "100us", Description: "cubic congestion control's RTT before it measures one"},
	{Name: "aeron.CubicCongestionControl.tcpMode", Field: "CubicTCPMode", Kind: Bool, Default: "false", Description: "cubic congestion control grows at least as TCP Reno would"},
	{Name: "aeron.reliable.stream", Field: "ReliableStream", Kind: Bool, Default: "true", Description: "NAK losses (false: gaps are skipped)"},
	{Name: "aeron.tether.subscriptions", Field: "TetherSubscriptions", Kind: Bool, Default: "true", Description: "subscriptions hold publishers back"},
	{Name: "aeron.rejoin.stream", Field: "RejoinStream", Kind: Bool, Default: "true", Description: "untethered subscriptions rejoin after resting"},
	{Name: "aeron.untethered.window.limit.timeout", Field: "UntetheredWindowLimitTimeout", Kind: Duration, Default: "5s", Description: "an untethered subscriber behind the window this long is dropped"},
	{Name: "aeron.untethered.resting.timeout", Field: "UntetheredRestingTimeout", Kind: Duration, Default: "10s", Description: "rest before an untethered subscriber rejoins"},
	{Name: "aeron.counters.free.to.reuse.timeout", Field: "CountersFreeToReuseTimeout", Kind: Duration, Default: "1s", Description: "a freed counter id is reused after"},
	{Name: "aeron.publication.reserved.session.id.low", Field: "PublicationReservedSessionIDLow", Kind: Int, Default: "-1", Description: "low end of the session ids kept for explicit use"},
	{Name: "aeron.publication.reserved.session.id.high", Field: "PublicationReservedSessionIDHigh", Kind: Int, Default: "1000", Description: "high end of the session ids kept for explicit use"},
	{Name: "aeron.driver.termination.validator", Field: "DriverTerminationValidator", Kind: Enum, Default: "deny", Values: []string{"deny", "allow"}, Description: "whether clients may terminate the driver"},
	{Name: "aeron.print.configuration", Field: "PrintConfiguration", Kind: Bool, Default: "false", Description: "print the configuration at start"},
	{Name: "aeron.udp.channel.incoming.interceptors", Field: "UDPChannelIncomingInterceptors", Kind: String, Description: "interceptors applied to received datagrams (e.g. loss)"},
	{Name: "aeron.udp.channel.outgoing.interceptors", Field: "UDPChannelOutgoingInterceptors", Kind: String, Description: "interceptors applied to sent datagrams (e.g. loss)"},
	{Name: "aeron.udp.channel.transport.bindings.loss.args", Field: "UDPChannelLossArgs", Kind: String, Description: "the loss interceptor's rate=R|seed=S|recv-msg-mask=M"},

	{Name: "aeron.bypass.dpdk.address", Field: "DPDKAddress", Kind: String, Description: "IPv4 address/prefix the dpdk backend owns and answers ARP and ping for (default: captured from aeron.bypass.interface)"},
	{Name: "aeron.bypass.dpdk.gateway", Field: "DPDKGateway", Kind: String, Description: "next hop of the dpdk backend for destinations off its prefix (default: captured)"},
	{Name: "aeron.bypass.dpdk.device", Field: "DPDKDevice", Kind: String, Description: "DPDK port to use: PCI address or vdev name (default the first port)"},
	{Name: "aeron.bypass.dpdk.pci", Field: "DPDKPCI", Kind: String, Description: "comma-separated PCI allow-list for EAL (default the ENA/GVE devices bound to vfio-pci)"},
	{Name: "aeron.bypass.dpdk.vdevs", Field: "DPDKVdevs", Kind: String, Description: "semicolon-separated EAL vdevs, e.g. net_af_packet0,iface=eth1"},
	{Name: "aeron.bypass.dpdk.lcores", Field: "DPDKLcores", Kind: String, Default: "0", Description: "EAL lcore list (-l)"},
	{Name: "aeron.bypass.dpdk.memory", Field: "DPDKMemory", Kind: Size, Default: "0", Description: "memory EAL reserves at start (-m); 0 keeps EAL's default"},
	{Name: "aeron.bypass.dpdk.no.huge", Field: "DPDKNoHuge", Kind: Bool, Default: "false", Description: "run EAL without hugepages (vdevs and tests only)"},
	{Name: "aeron.bypass.dpdk.in.memory", Field: "DPDKInMemory", Kind: Bool, Default: "true", Description: "keep EAL's runtime files in memory (not with no.huge)"},
	{Name: "aeron.bypass.dpdk.file.prefix", Field: "DPDKFilePrefix", Kind: String, Default: "aeron-bypass", Description: "EAL file prefix, distinct per DPDK process"},
	{Name: "aeron.bypass.dpdk.rx.queues", Field: "DPDKRxQueues", Kind: Int, Default: "0", Description: "receive queues spread by RSS (0: one per aeron.bypass.queues entry, at least one)"},
	{Name: "aeron.bypass.dpdk.rx.descriptors", Field: "DPDKRxDescriptors", Kind: Int, Default: "1024", Description: "descriptors per receive ring"},
	{Name: "aeron.bypass.dpdk.tx.descriptors", Field: "DPDKTxDescriptors", Kind: Int, Default: "1024", Description: "descriptors per transmit ring"},
	{Name: "aeron.bypass.dpdk.mbufs", Field: "DPDKMbufs", Kind: Int, Default: "0", Description: "mbuf pool size (0: sized from the rings)"},
	{Name: "aeron.bypass.dpdk.checksum.offload", Field: "DPDKChecksumOffload", Kind: Bool, Default: "true", Description: "let the NIC compute IPv4 and UDP checksums where it can"},
	{Name: "aeron.bypass.dpdk.igmp.version", Field: "DPDKIGMPVersion", Kind: Enum, Default: "3", Values: []string{"2", "3"}, Description: "IGMP version of unsolicited membership reports"},
	{Name: "aeron.bypass.dpdk.resolve.timeout", Field: "DPDKResolveTimeout", Kind: Duration, Default: "3s", Description: "bound on resolving a next hop by ARP"},
	{Name: "aeron.bypass.dpdk.neighbour.reachable", Field: "DPDKNeighbourReachable", Kind: Duration, Default: "30s", Description: "how long the dpdk backend trusts an ARP answer before probing the neighbour again"},
}

// knownAeronEnv lists environment variables Aeron's C media driver and
// clients define that this driver does not read (yet). Aeron's test
// harness sets many of them when it launches a driver binary, so they are
// reported once as ignored rather than refused.
var knownAeronEnv = []string{
	"AERON_LOSS_REPORT_BUFFER_LENGTH", "AERON_UNICAST_FLOWCONTROL_SUPPLIER", "AERON_MULTICAST_FLOWCONTROL_SUPPLIER",
	"AERON_RECEIVER_GROUP_TAG", "AERON_CONGESTIONCONTROL_SUPPLIER", "AERON_CUBICCONGESTIONCONTROL_MEASURERTT",
	"AERON_CUBICCONGESTIONCONTROL_INITIALRTT", "AERON_CUBICCONGESTIONCONTROL_TCPMODE", "AERON_RECEIVER_GROUP_CONSIDERATION",
	"AERON_UNTETHERED_LINGER_TIMEOUT", "AERON_DRIVER_RERESOLUTION_CHECK_INTERVAL", "AERON_DRIVER_STREAM_SESSION_LIMIT",
	"AERON_DRIVER_CONNECT", "AERON_NETWORK_PUBLICATION_MAX_MESSAGES_PER_SEND", "AERON_RECEIVER_IO_VECTOR_CAPACITY",
	"AERON_SENDER_IO_VECTOR_CAPACITY", "AERON_ENABLE_EXPERIMENTAL_FEATURES", "AERON_DRIVER_CONDUCTOR_CYCLE_THRESHOLD",
	"AERON_DRIVER_SENDER_CYCLE_THRESHOLD", "AERON_DRIVER_RECEIVER_CYCLE_THRESHOLD", "AERON_UDP_CHANNEL_TRANSPORT_BINDINGS_MEDIA",
	"AERON_THREAD_NAMING", "AERON_SENDER_IDLE_STRATEGY_INIT_ARGS", "AERON_CONDUCTOR_IDLE_STRATEGY_INIT_ARGS",
	"AERON_RECEIVER_IDLE_STRATEGY_INIT_ARGS", "AERON_SHAREDNETWORK_IDLE_STRATEGY_INIT_ARGS", "AERON_SHARED_IDLE_STRATEGY_INIT_ARGS",
	"AERON_DRIVER_NATIVE_RESOURCE_AGENT_IDLE_STRATEGY", "AERON_DRIVER_NATIVE_RESOURCE_AGENT_IDLE_STRATEGY_INIT_ARGS",
	"AERON_AGENT_ON_START_FUNCTION", "AERON_DRIVER_DYNAMIC_LIBRARIES", "AERON_DRIVER_RESOURCE_FREE_LIMIT",
	"AERON_CONDUCTOR_CPU_AFFINITY", "AERON_RECEIVER_CPU_AFFINITY", "AERON_SENDER_CPU_AFFINITY",
	"AERON_DRIVER_NATIVE_RESOURCE_AGENT_CPU_AFFINITY", "AERON_DRIVER_CPUSET_AFFINITY", "AERON_DRIVER_CPUSET_WARNINGS_AS_ERRORS",
	"AERON_SENDER_WILDCARD_PORT_RANGE", "AERON_RECEIVER_WILDCARD_PORT_RANGE", "AERON_DRIVER_NAME_RESOLVER_THRESHOLD",
	"AERON_DRIVER_RESOLVER_NAME", "AERON_DRIVER_RESOLVER_INTERFACE", "AERON_DRIVER_RESOLVER_BOOTSTRAP_NEIGHBOR",
	"AERON_NAME_RESOLVER_SUPPLIER", "AERON_NAME_RESOLVER_INIT_ARGS", "AERON_DRIVER_RESOLVER_NEIGHBOR_TIMEOUT",
	"AERON_DRIVER_RESOLVER_SELF_RESOLUTION_INTERVAL", "AERON_DRIVER_RESOLVER_NEIGHBOR_RESOLUTION_INTERVAL",
	"AERON_DRIVER_RESOLVER_BOOTSTRAP_NEIGHBOR_RESOLUTION_INTERVAL", "AERON_CLIENT_NAME", "AERON_CLIENT_RESOURCE_LINGER_DURATION",
	"AERON_CLIENT_IDLE_SLEEP_DURATION",

	"AERON_EVENT_LOG", "AERON_EVENT_LOG_DISABLE",
	"AERON_EVENT_LOG_FILENAME",
}
