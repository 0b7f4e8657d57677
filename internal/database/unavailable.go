package database

import (
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
)

// Unavailable reports whether err means that the database could not be
// reached or would not take writes at that moment (a failover, a
// restart): not a fault of the request nor a bug, and the same request
// may well succeed shortly. The HTTP layer answers it with a 503.
func Unavailable(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		if strings.HasPrefix(pgErr.Code, "08") { // connection exception
			return true
		}
		switch pgErr.Code {
		case "57P01", "57P02", "57P03", // shutting down, crashed, not yet accepting connections
			"25006": // read-only transaction: the node was a standby by then
			return true
		}
		return false
	}
	var connect *pgconn.ConnectError
	var netErr net.Error
	return errors.As(err, &connect) || errors.As(err, &netErr) || errors.Is(err, net.ErrClosed) ||
		errors.Is(err, driver.ErrBadConn) || errors.Is(err, io.ErrUnexpectedEOF)
}
