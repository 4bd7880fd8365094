// Package backend_test exercises the network backends across a real veth
// link between two network namespaces.
package backend_test
