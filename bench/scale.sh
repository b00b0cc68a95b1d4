#!/bin/sh
# The scale suite on a machine with many cores, in two steps:
#
#   bench/scale.sh build   where Go and the modules are: static binaries of
#                          corsedge and the harness into bench/out/bin (~30 MiB)
#   bench/scale.sh run     on the many-core machine, which needs neither Go
#                          nor a network: the suite from those binaries, the
#                          report in $OUT/scale.md, the progress in $OUT/scale.log,
#                          the CPU topology in $OUT/machine.txt
#
# bench/out/ is ignored by git: carry bench/out/bin to the other machine.
# Settings (environment): SCALE_COUNTS (1,2,4,8), SCALE_SCENARIOS
# (scale-preflight; scale-preflight,scale-get adds the GET), SCALE_PAIRS (3),
# SCALE_DURATION (2s), SCALE_TIMEOUT (seconds, 480). On 16 cores the default
# takes about 2½ minutes, with the GET about 5.
set -eu
cd "$(dirname "$0")/.."
BIN=bench/out/bin

build() {
	mkdir -p "$BIN" || return 1
	# CGO off: no libc to match on the other machine. -s -w drops the symbol
	# tables, not the build information the report reads the Go version from.
	CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o "$BIN/" corsedge || return 1
	CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o "$BIN/bench" ./bench || return 1
	du -sh "$BIN"
}

run() {
	out=${OUT:-bench/out}
	mkdir -p "$out"
	echo "scale.sh: $(nproc) cores; $(uname -sr)"
	# What the figures need to be read: hyperthread siblings (a server and
	# wrk on two threads of one core share it), NUMA nodes, a cgroup CPU
	# limit (which would throttle the servers whatever their pinning).
	{
		lscpu 2>/dev/null || cat /proc/cpuinfo
		echo "cpu0 siblings: $(cat /sys/devices/system/cpu/cpu0/topology/thread_siblings_list 2>/dev/null)"
		echo "cgroup cpu.max: $(cat /sys/fs/cgroup/cpu.max 2>/dev/null || echo none)"
		echo "affinity: $(taskset -pc $$ 2>/dev/null)"
	} >"$out/machine.txt" 2>&1
	grep -E '^(Thread|Core|Socket|NUMA node\(s\))' "$out/machine.txt" | tr -s ' ' | sed 's/^/scale.sh: /' || true
	grep -E '^(cpu0 siblings|cgroup)' "$out/machine.txt" | sed 's/^/scale.sh: /'
	if [ ! -x "$BIN/bench" ] || [ ! -x "$BIN/corsedge" ]; then
		echo "scale.sh: no $BIN/bench or $BIN/corsedge: run 'bench/scale.sh build' where Go is, and carry $BIN" >&2
		if ! command -v go >/dev/null; then
			exit 1
		fi
		# Go is here: build, but without the network (GOPROXY=off), which
		# fails at once when the module cache lacks a module.
		echo "scale.sh: go is here: building offline from the module cache"
		GOPROXY=off GOFLAGS=-mod=mod build || {
			echo "scale.sh: cannot build offline (the module cache lacks the modules)" >&2
			exit 1
		}
	fi
	if ! command -v taskset >/dev/null; then
		echo "scale.sh: taskset (util-linux) is not installed: the suite pins every server and the load generator, and cannot run" >&2
		exit 1
	fi
	if command -v wrk >/dev/null; then
		echo "scale.sh: load generator: $(wrk -v 2>&1 | head -1 | sed 's/ Copyright.*//')"
	else
		echo "scale.sh: wrk is not installed: the harness's built-in generator makes the load, pinned to the load cores"
	fi
	if command -v nginx >/dev/null || [ -x /usr/sbin/nginx ]; then
		echo "scale.sh: nginx is installed: it is timed at each count"
	else
		echo "scale.sh: nginx is not installed: its rows and the targets read 'not run'; corsedge -workers N is still timed against one process"
	fi
	echo "scale.sh: running; the report goes to $out/scale.md, the progress to $out/scale.log"
	rc=0
	timeout "${SCALE_TIMEOUT:-480}" "$BIN/bench" -bin "$BIN" -suite scale \
		-scenarios "${SCALE_SCENARIOS:-scale-preflight}" -scale-counts "${SCALE_COUNTS:-1,2,4,8}" \
		-pairs "${SCALE_PAIRS:-3}" -duration "${SCALE_DURATION:-2s}" \
		-out "$out/scale.md" >/dev/null 2>"$out/scale.log" || rc=$?
	if [ "$rc" -ne 0 ]; then
		echo "scale.sh: the harness exited $rc (124: it ran past SCALE_TIMEOUT); the end of its log:" >&2
		tail -n 30 "$out/scale.log" >&2
		exit "$rc"
	fi
	sed -n '/^### Scaling/,$p' "$out/scale.md"
}

case "${1:-}" in
build) build ;;
run) run ;;
*)
	echo "usage: bench/scale.sh build | run" >&2
	exit 2
	;;
esac
