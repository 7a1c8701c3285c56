package cloudflare

// WithDatabase returns a Store of the same account, connection, governor
// and request counter whose D1 is the database id (named name), without
// a request: a fleet lists its databases once (one request per page of
// the list endpoint), so opening each member must not cost another. The
// id is not checked; a wrong one fails at the first statement. Requests
// of the copy count in s.Requests.
func (s *Store) WithDatabase(id, name string) *Store {
	c := &Store{
		cfg:       s.cfg,
		db:        s.db,
		ns:        s.ns,
		scripts:   s.scripts,
		routes:    s.routes,
		subdomain: s.subdomain,
		dbID:      id,
		dbName:    name,
		sleep:     s.sleep,
		now:       s.now,
	}
	c.d1 = &DB{s: c}
	c.kv = &KV{s: c}
	return c
}
