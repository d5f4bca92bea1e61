package senderauth

import (
	"context"
	"errors"
	"net/netip"
	"strings"
	"sync"
)

// Static is a Resolver that answers from fixed records: for tests and the
// demo, which must not ask the network. Names are in lower case, without
// the final dot. It is safe for concurrent use once filled.
type Static struct {
	mu sync.RWMutex
	// TXT, IP and MX are the records by name.
	TXT map[string][]string
	IP  map[string][]netip.Addr
	MX  map[string][]string
	// Fail lists names whose lookups time out.
	Fail map[string]bool
}

var _ Resolver = (*Static)(nil)

// NewStatic returns an empty Static resolver.
func NewStatic() *Static {
	return &Static{TXT: map[string][]string{}, IP: map[string][]netip.Addr{}, MX: map[string][]string{}, Fail: map[string]bool{}}
}

// SetTXT replaces the TXT records of name.
func (s *Static) SetTXT(name string, records ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.TXT[strings.ToLower(name)] = records
}

var errStaticTimeout = errors.New("i/o timeout (static resolver)")

func (s *Static) ask(name string) (string, error) {
	name = strings.ToLower(strings.TrimSuffix(name, "."))
	if s.Fail[name] {
		return name, errStaticTimeout
	}
	return name, nil
}

// LookupTXT implements Resolver.
func (s *Static) LookupTXT(_ context.Context, name string) ([]string, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	name, err := s.ask(name)
	return s.TXT[name], err
}

// LookupIP implements Resolver.
func (s *Static) LookupIP(_ context.Context, name string) ([]netip.Addr, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	name, err := s.ask(name)
	return s.IP[name], err
}

// LookupMX implements Resolver.
func (s *Static) LookupMX(_ context.Context, name string) ([]string, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	name, err := s.ask(name)
	return s.MX[name], err
}
