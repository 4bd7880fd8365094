package command

import "fmt"

// Command type ids (client to driver).
const (
	AddPublication            int32 = 0x01
	RemovePublication         int32 = 0x02
	AddExclusivePublication   int32 = 0x03
	AddSubscription           int32 = 0x04
	RemoveSubscription        int32 = 0x05
	ClientKeepalive           int32 = 0x06
	AddDestination            int32 = 0x07
	RemoveDestination         int32 = 0x08
	AddCounter                int32 = 0x09
	RemoveCounter             int32 = 0x0A
	ClientClose               int32 = 0x0B
	AddRcvDestination         int32 = 0x0C
	RemoveRcvDestination      int32 = 0x0D
	TerminateDriver           int32 = 0x0E
	AddStaticCounter          int32 = 0x0F
	RejectImage               int32 = 0x10
	RemoveDestinationByID     int32 = 0x11
	GetNextAvailableSessionID int32 = 0x12
)

// Response type ids (driver to clients).
const (
	OnError                     int32 = 0x0F01
	OnAvailableImage            int32 = 0x0F02
	OnPublicationReady          int32 = 0x0F03
	OnOperationSuccess          int32 = 0x0F04
	OnUnavailableImage          int32 = 0x0F05
	OnExclusivePublicationReady int32 = 0x0F06
	OnSubscriptionReady         int32 = 0x0F07
	OnCounterReady              int32 = 0x0F08
	OnUnavailableCounter        int32 = 0x0F09
	OnClientTimeout             int32 = 0x0F0A
	OnStaticCounter             int32 = 0x0F0B
	OnPublicationError          int32 = 0x0F0C
	OnNextAvailableSessionID    int32 = 0x0F0D
)

// ErrorCode is an Aeron error code sent with ON_ERROR.
type ErrorCode int32

// Aeron's error codes (aeron_client_error.h, ErrorCode.java).
const (
	ErrGenericUnknown                 ErrorCode = -1
	ErrUnused                         ErrorCode = 0
	ErrInvalidChannel                 ErrorCode = 1
	ErrUnknownSubscription            ErrorCode = 2
	ErrUnknownPublication             ErrorCode = 3
	ErrChannelEndpointError           ErrorCode = 4
	ErrUnknownCounter                 ErrorCode = 5
	ErrUnknownCommandTypeID           ErrorCode = 6
	ErrMalformedCommand               ErrorCode = 7
	ErrNotSupported                   ErrorCode = 8
	ErrUnknownHost                    ErrorCode = 9
	ErrResourceTemporarilyUnavailable ErrorCode = 10
	ErrGenericError                   ErrorCode = 11
	ErrStorageSpace                   ErrorCode = 12
	ErrImageRejected                  ErrorCode = 13
	ErrPublicationRevoked             ErrorCode = 14
)

var codeNames = map[ErrorCode]string{
	ErrUnused: "UNUSED", ErrInvalidChannel: "INVALID_CHANNEL", ErrUnknownSubscription: "UNKNOWN_SUBSCRIPTION",
	ErrUnknownPublication: "UNKNOWN_PUBLICATION", ErrChannelEndpointError: "CHANNEL_ENDPOINT_ERROR",
	ErrUnknownCounter: "UNKNOWN_COUNTER", ErrUnknownCommandTypeID: "UNKNOWN_COMMAND_TYPE_ID",
	ErrMalformedCommand: "MALFORMED_COMMAND", ErrNotSupported: "NOT_SUPPORTED", ErrUnknownHost: "UNKNOWN_HOST",
	ErrResourceTemporarilyUnavailable: "RESOURCE_TEMPORARILY_UNAVAILABLE", ErrGenericError: "GENERIC_ERROR",
	ErrStorageSpace: "STORAGE_SPACE", ErrImageRejected: "IMAGE_REJECTED", ErrPublicationRevoked: "PUBLICATION_REVOKED",
}

// String is Aeron's name of the code.
func (c ErrorCode) String() string {
	if n, ok := codeNames[c]; ok {
		return n
	}
	return fmt.Sprintf("UNKNOWN_CODE_VALUE(%d)", int32(c))
}

// CommandName names a command type id for logs and errors.
func CommandName(t int32) string {
	names := [...]string{"", "ADD_PUBLICATION", "REMOVE_PUBLICATION", "ADD_EXCLUSIVE_PUBLICATION", "ADD_SUBSCRIPTION",
		"REMOVE_SUBSCRIPTION", "CLIENT_KEEPALIVE", "ADD_DESTINATION", "REMOVE_DESTINATION", "ADD_COUNTER",
		"REMOVE_COUNTER", "CLIENT_CLOSE", "ADD_RCV_DESTINATION", "REMOVE_RCV_DESTINATION", "TERMINATE_DRIVER",
		"ADD_STATIC_COUNTER", "REJECT_IMAGE", "REMOVE_DESTINATION_BY_ID", "GET_NEXT_AVAILABLE_SESSION_ID"}
	if t > 0 && int(t) < len(names) {
		return names[t]
	}
	return fmt.Sprintf("command 0x%x", t)
}
