package catalog

import (
	"context"
	"os"

	"github.com/vitrin/vitrin/internal/database"
)

// sqliteChanges tells, without a query, whether anything was committed to
// a SQLite database in WAL mode since it last looked. SQLite keeps the
// WAL index header at the start of the "-shm" file, shared by every
// process that opens the database; its iChange field is incremented by
// every write transaction, and mxFrame and the WAL salts change with every
// commit, before any reader can see that commit. So when the header's
// bytes are what they were when the catalog version was last read, the
// version is still that one; any difference (a commit, a torn read of a
// header being written, a rebuilt index) just costs one real query.
//
// A cached catalog read then costs one 48-byte pread instead of a SQL
// statement, which on SQLite is most of what the version check costs.
type sqliteChanges struct {
	path    string
	shm     *os.File
	shmInfo os.FileInfo // shm's identity, which cannot change while it is open
	last    [walIndexHeaderSize]byte
	version int64
	known   bool
	epoch   Epoch // counts the changes seen; the gate's rounds are its only user
}

// walIndexHeaderSize covers the first copy of the header up to and
// including the salts (iVersion … aSalt).
const walIndexHeaderSize = 48

// watchSQLite opens the "-shm" file of db's main database, or returns nil
// when there is none (not SQLite, not WAL, an in-memory database): the
// version is then read with a query every time.
func watchSQLite(ctx context.Context, db *database.DB) *sqliteChanges {
	if db.Engine != database.SQLite {
		return nil
	}
	var path string
	rows, err := db.QueryContext(ctx, "PRAGMA database_list")
	if err != nil {
		return nil
	}
	defer rows.Close()
	for rows.Next() {
		var seq int
		var name, file string
		if rows.Scan(&seq, &name, &file) == nil && name == "main" {
			path = file
		}
	}
	if path == "" {
		return nil
	}
	c := &sqliteChanges{path: path + "-shm"}
	if !c.open() {
		return nil
	}
	return c
}

// open (re)opens the "-shm" file.
func (c *sqliteChanges) open() bool {
	f, err := os.Open(c.path)
	if err != nil {
		return false
	}
	info, err := f.Stat()
	if err != nil {
		f.Close()
		return false
	}
	if c.shm != nil {
		c.shm.Close()
	}
	c.shm, c.shmInfo = f, info
	return true
}

// header reads the current WAL index header. When the last connection to
// the database closes, SQLite deletes the "-shm" file and the next one
// creates a new file: the old one would never change again, so it is
// swapped for the new one and the answer is "unknown".
func (c *sqliteChanges) header() ([walIndexHeaderSize]byte, bool) {
	var h [walIndexHeaderSize]byte
	if onDisk, err := os.Stat(c.path); err != nil || !os.SameFile(onDisk, c.shmInfo) {
		c.open()
		return h, false
	}
	n, err := c.shm.ReadAt(h[:], 0)
	return h, err == nil && n == len(h) && h != [walIndexHeaderSize]byte{}
}

// versionSince returns the version read last time when nothing was
// committed since; otherwise it reads the version with query, having taken
// the header first, so a commit that lands during the query is noticed
// next time. The epoch moves with every change seen, and is 0 when the
// header could not be read.
func (c *sqliteChanges) versionSince(ctx context.Context, query func(context.Context) (int64, error)) (dbState, error) {
	h, ok := c.header()
	if ok && c.known && h == c.last {
		return dbState{version: c.version, epoch: c.epoch}, nil
	}
	v, err := query(ctx)
	if err != nil {
		return dbState{}, err
	}
	c.last, c.version, c.known = h, v, ok
	if !ok {
		return dbState{version: v}, nil
	}
	c.epoch++
	return dbState{version: v, epoch: c.epoch}, nil
}
