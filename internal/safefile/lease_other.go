//go:build !linux

package safefile

import (
	"errors"
	"os"
	"time"
)

var errNoLeases = errors.New("file leases are a Linux feature")

// lockOutWriters cannot lock out writers here: the read is unguarded.
func lockOutWriters(*os.File, time.Duration) (release func(), unguarded, err error) {
	return func() {}, errNoLeases, nil
}
