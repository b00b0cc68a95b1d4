//go:build linux || dragonfly || openbsd || solaris

package assets

import "syscall"

// changeTime is st_ctim, which no write can set back: utimes itself moves it.
func changeTime(st *syscall.Stat_t) int64 { return st.Ctim.Nano() }
