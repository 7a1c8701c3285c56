package gateway

// DatabaseName returns the name of the D1 database the gateway's Worker
// binds, as its health reported at Open ("" before). runtime's Tenant
// uses it to refuse a tenant whose database the gateway does not bind.
func (s *Store) DatabaseName() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.health.Database.Name
}
