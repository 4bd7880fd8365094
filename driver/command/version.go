package command

// Control protocol version 1.0.0, packed major<<16 | minor<<8 | patch
// (AERON_CONTROL_PROTOCOL_*_VERSION in aeron_control_protocol.h); the
// driver publishes it in a system counter.
const (
	ProtocolMajorVersion = 1
	ProtocolMinorVersion = 0
	ProtocolPatchVersion = 0
	ProtocolVersion      = ProtocolMajorVersion<<16 | ProtocolMinorVersion<<8 | ProtocolPatchVersion
)

// RemovePublicationFlagRevoke in RemovePublicationMessage.Flags asks the
// driver to revoke the publication (§7.3).
const RemovePublicationFlagRevoke uint64 = 0x1

// Address types in PublicationErrorFrame (AERON_RESPONSE_ADDRESS_TYPE_* in
// aeronc.h).
const (
	AddressTypeIPv4 uint16 = 1
	AddressTypeIPv6 uint16 = 2
)

// MaxRejectReasonLength is the longest reason REJECT_IMAGE carries.
const MaxRejectReasonLength = 1023
