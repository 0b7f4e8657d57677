package database_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/vitrin/vitrin/internal/database"
)

func TestUnavailable(t *testing.T) {
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"server shutting down", &pgconn.PgError{Code: "57P01"}, true},
		{"connection failure", fmt.Errorf("place order: %w", &pgconn.PgError{Code: "08006"}), true},
		{"write on a standby", &pgconn.PgError{Code: "25006"}, true},
		{"connection refused", fmt.Errorf("query: %w", refused), true},
		{"connection cut", io.ErrUnexpectedEOF, true},
		{"unique violation", &pgconn.PgError{Code: "23505"}, false},
		{"NUL in text", &pgconn.PgError{Code: "22021"}, false},
		{"a bug", errors.New("nil map"), false},
		{"client went away", context.Canceled, false},
	}
	for _, tt := range tests {
		if got := database.Unavailable(tt.err); got != tt.want {
			t.Errorf("%s: Unavailable(%v) = %v, want %v", tt.name, tt.err, got, tt.want)
		}
	}
}
