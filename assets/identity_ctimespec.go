//go:build darwin || freebsd || netbsd

package assets

import "syscall"

// changeTime is st_ctimespec, which no write can set back: utimes itself moves it.
func changeTime(st *syscall.Stat_t) int64 { return st.Ctimespec.Nano() }
