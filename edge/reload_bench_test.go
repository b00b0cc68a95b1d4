package edge_test

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// BenchmarkReloadEditToEffect measures how long an edit of rules.toml takes
// to change the answers: from the rename of a new file over it (the last
// step of an atomic save) to the first preflight answered by the new table.
// The figure is dominated by the debounce (100 ms by default).
func BenchmarkReloadEditToEffect(b *testing.B) {
	t := b
	ts := startServer(b, tableA)
	dir := filepath.Dir(ts.rulesFile)
	tables := []struct {
		src  string
		want answer
	}{{tableB, answerB}, {tableA, answerA}}
	var latencies []time.Duration
	for i := 0; b.Loop(); i++ {
		next := tables[i%2]
		tmp := filepath.Join(dir, "next.tmp")
		if err := os.WriteFile(tmp, []byte(next.src), 0o644); err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		if err := os.Rename(tmp, ts.rulesFile); err != nil {
			b.Fatal(err)
		}
		for ts.preflightAnswer(t) != next.want {
			if time.Since(start) > 5*time.Second {
				b.Fatalf("edit %d not in effect after 5 s", i)
			}
			time.Sleep(time.Millisecond)
		}
		latencies = append(latencies, time.Since(start))
	}
	slices.Sort(latencies)
	b.ReportMetric(float64(latencies[len(latencies)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(latencies[len(latencies)*99/100].Microseconds())/1000, "p99-ms")
	b.ReportMetric(0, "ns/op")
}
