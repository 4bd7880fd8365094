package config

import "time"

// ThreadingMode is Aeron's aeron.threading.mode.
type ThreadingMode string

// Aeron's threading modes.
const (
	Dedicated     ThreadingMode = "DEDICATED"
	SharedNetwork ThreadingMode = "SHARED_NETWORK"
	Shared        ThreadingMode = "SHARED"
)

// Config is the media driver's configuration. Each field answers to an Aeron
// property name (aeron.x.y), its AERON_X_Y environment variable and a flag;
// the table in properties.go ties the names to the fields. Field names are the
// property name without "aeron.", in Go case.
type Config struct {
	// Backend is the network path: auto, xdp, dpdk or udp.
	Backend string
	// Interface is the network interface the bypass backends use.
	Interface string
	// Queues restricts the bypass backends to these NIC queues.
	Queues []int
	// QueueCount, when positive, sets the interface's queue count.
	QueueCount int

	Dir                 string
	DirDeleteOnStart    bool
	DirDeleteOnShutdown bool
	DirWarnIfExists     bool

	ThreadingMode                    ThreadingMode
	ConductorIdleStrategy            string
	SenderIdleStrategy               string
	ReceiverIdleStrategy             string
	SharedNetworkIdleStrategy        string
	SharedIdleStrategy               string
	ConductorBufferLength            int // to-driver ring buffer, trailer included
	ClientsBufferLength              int // to-clients broadcast buffer, trailer included
	CountersBufferLength             int // counter values; metadata is 4x
	ErrorBufferLength                int
	LossReportBufferLength           int
	ClientLivenessTimeout            time.Duration
	DriverTimeout                    time.Duration
	TimerInterval                    time.Duration
	TermBufferLength                 int
	IpcTermBufferLength              int
	TermBufferSparseFile             bool
	FilePageSize                     int
	PerformStorageChecks             bool
	LowFileStoreWarningThreshold     int64
	MTULength                        int
	IpcMTULength                     int
	PublicationTermWindowLength      int
	IpcPublicationTermWindowLength   int
	PublicationLingerTimeout         time.Duration
	PublicationUnblockTimeout        time.Duration
	PublicationConnectionTimeout     time.Duration
	SpiesSimulateConnection          bool
	SocketSoRcvbuf                   int
	SocketSoSndbuf                   int
	SocketMulticastTTL               int
	RcvInitialWindowLength           int
	RcvStatusMessageTimeout          time.Duration
	SendToStatusPollRatio            int
	ImageLivenessTimeout             time.Duration
	NakUnicastDelay                  time.Duration
	NakUnicastRetryDelayRatio        int
	NakMulticastGroupSize            int
	NakMulticastMaxBackoff           time.Duration
	RetransmitUnicastDelay           time.Duration
	RetransmitUnicastLinger          time.Duration
	MaxResend                        int
	FlowControlReceiverTimeout       time.Duration
	FlowControlGroupTag              int64
	FlowControlGroupMinSize          int
	ReliableStream                   bool
	ReceiverGroupTag                 string
	CubicMeasureRTT                  bool
	CubicInitialRTT                  time.Duration
	CubicTCPMode                     bool
	TetherSubscriptions              bool
	RejoinStream                     bool
	UntetheredWindowLimitTimeout     time.Duration
	UntetheredRestingTimeout         time.Duration
	CountersFreeToReuseTimeout       time.Duration
	PublicationReservedSessionIDLow  int32
	PublicationReservedSessionIDHigh int32
	DriverTerminationValidator       string // "deny" or "allow"
	PrintConfiguration               bool
	// UDPChannelIncomingInterceptors / OutgoingInterceptors name the
	// interceptors (e.g. "loss") applied to datagrams.
	UDPChannelIncomingInterceptors string
	UDPChannelOutgoingInterceptors string
	// UDPChannelLossArgs configures the loss interceptor.
	UDPChannelLossArgs string

	// The dpdk backend's settings (aeron.bypass.dpdk.*).
	DPDKAddress            string
	DPDKGateway            string
	DPDKDevice             string
	DPDKPCI                string
	DPDKVdevs              string
	DPDKLcores             string
	DPDKMemory             int64
	DPDKNoHuge             bool
	DPDKInMemory           bool
	DPDKFilePrefix         string
	DPDKRxQueues           int
	DPDKRxDescriptors      int
	DPDKTxDescriptors      int
	DPDKMbufs              int
	DPDKChecksumOffload    bool
	DPDKIGMPVersion        string
	DPDKResolveTimeout     time.Duration
	DPDKNeighbourReachable time.Duration
}
