//go:build !linux

package assets_test

import "testing"

// asNobody runs f: only Linux can change the user of one thread, so there
// the test must not run as root to mean anything.
func asNobody(_ *testing.T, f func()) { f() }
