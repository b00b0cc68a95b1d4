#!/bin/sh
# instrumentation.sh: what the per-request metrics cost in the handler
# (edge's BenchmarkInstrumentation), as the median over ROUNDS of the
# ratio metrics=all / metrics=before; each round runs both back to back on
# one pinned core. Usage: bench/instrumentation.sh [ROUNDS] [CORE]
set -eu
rounds=${1:-15}
core=${2:-1}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cd "$(dirname "$0")/.."
go test -c -o "$dir/edge.test" ./edge/
i=0
while [ "$i" -lt "$rounds" ]; do
	taskset -c "$core" "$dir/edge.test" -test.run '^$' -test.bench Instrumentation -test.benchtime 300ms -test.cpu 1
	i=$((i + 1))
done | awk '/^BenchmarkInstrumentation/ {
	split($1, p, "/")
	if (p[3] == "metrics=before") before[p[2]] = $3
	else printf "%s %.4f %s %s\n", p[2], $3 / before[p[2]], before[p[2]], $3
}' | sort -k1,1 -k2,2g | awk '
	{ req[NR] = $1; ratio[NR] = $2; b[NR] = $3; a[NR] = $4; n[$1]++ }
	END {
		for (i = 1; i <= NR; i++) {
			seen[req[i]]++
			if (seen[req[i]] == int((n[req[i]] + 1) / 2))
				printf "%s: median ratio %.3f over %d rounds (that round: %s -> %s ns/op)\n", req[i], ratio[i], n[req[i]], b[i], a[i]
		}
	}'
