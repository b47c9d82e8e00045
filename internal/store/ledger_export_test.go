package store

import "database/sql"

// WriterDB is the store's writing connection pool, for tests that go
// around the store to check what the database itself refuses.
func WriterDB(st Store) *sql.DB { return st.(*sqlStore).w }
