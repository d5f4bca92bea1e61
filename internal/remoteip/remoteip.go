// Package remoteip names the client of a connection for the doors' per-IP
// limits.
package remoteip

import "net"

// Of is the key of the per-IP limits: the host part of addr, or all of it
// when it has no port; "" for a nil addr.
func Of(addr net.Addr) string {
	if addr == nil {
		return ""
	}
	if ta, ok := addr.(*net.TCPAddr); ok {
		return ta.IP.String()
	}
	host, _, err := net.SplitHostPort(addr.String())
	if err != nil {
		return addr.String()
	}
	return host
}
