package harness

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"

	"corsedge/bench/internal/report"
)

// checkAccessLogs checks, for each server started with -access-log, that
// the log holds the lines its sampling rate promises: it reads the requests
// served (corsedge_requests_total) and the lines dropped
// (corsedge_access_log_dropped_total) from /metrics, stops the server,
// which writes out every queued line as it closes the log, and counts the
// file's lines. A shortfall, or any dropped line, counts as an error of
// the row: its figures did not time the logging they are labelled with.
func checkAccessLogs(ctx context.Context, all []*contender) error {
	for _, c := range all {
		file, ok := c.proc.Flag("-access-log")
		if !ok || file == "" || file == "-" {
			continue
		}
		rate := 1.0 // corsedge's default
		if v, ok := c.proc.Flag("-access-log-sample"); ok {
			var err error
			if rate, err = strconv.ParseFloat(v, 64); err != nil {
				return fmt.Errorf("%s: -access-log-sample %q: %v", c.row.Label, v, err)
			}
		}
		m, err := scrape(ctx, c.proc.AdminAddr())
		if err != nil {
			return fmt.Errorf("%s: %v", c.row.Label, err)
		}
		requests, ok := m.sum("corsedge_requests_total")
		if !ok {
			return fmt.Errorf("%s: metrics: no corsedge_requests_total", c.row.Label)
		}
		dropped, ok := m.sum("corsedge_access_log_dropped_total")
		if !ok {
			return fmt.Errorf("%s: metrics: no corsedge_access_log_dropped_total", c.row.Label)
		}
		c.proc.Stop()
		lines, err := countLines(file)
		if err != nil {
			return fmt.Errorf("%s: access log: %v", c.row.Label, err)
		}
		c.row.Notes = append(c.row.Notes, fmt.Sprintf("access log: %d lines for %.0f requests served (corsedge_requests_total), "+
			"lines ÷ requests = %.4f at -access-log-sample %g; %.0f dropped (corsedge_access_log_dropped_total)",
			lines, requests, float64(lines)/max(requests, 1), rate, dropped))
		if problem := logShortfall(lines, requests, dropped, rate); problem != "" {
			addError(c.row, problem)
		}
	}
	return nil
}

// logShortfall says what is wrong with a log of lines for requests at
// sampling rate, "" when nothing is. At rate 1 every request must have its
// line; below, the count must lie within 5 standard deviations of the
// binomial's mean (every request of these scenarios may be sampled out:
// none is refused or a 5xx). Any dropped line is wrong.
func logShortfall(lines int64, requests, dropped, rate float64) string {
	n := float64(lines)
	switch {
	case dropped > 0:
		return fmt.Sprintf("the access log dropped %.0f lines", dropped)
	case rate == 1 && n != requests:
		return fmt.Sprintf("the access log has %d lines for %.0f requests", lines, requests)
	case rate < 1 && math.Abs(n-requests*rate) > 5*math.Sqrt(requests*rate*(1-rate))+1:
		return fmt.Sprintf("the access log has %d lines for %.0f requests at sampling %g: %.0f expected", lines, requests, rate, requests*rate)
	}
	return ""
}

// addError counts one error on row, keeping the first message.
func addError(row *report.Row, msg string) {
	row.Errors++
	if row.FirstError == "" {
		row.FirstError = msg
	}
}

// countLines counts the newline-terminated lines of the file at path; a
// missing file has none.
func countLines(path string) (int64, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	defer f.Close()
	var n int64
	r := bufio.NewReaderSize(f, 1<<20)
	for {
		chunk, err := r.ReadSlice('\n')
		if err == nil {
			n++
			continue
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if len(chunk) > 0 {
			return n, fmt.Errorf("%s: a last line without a newline (%d bytes)", path, len(chunk))
		}
		if errors.Is(err, io.EOF) {
			return n, nil
		}
		return n, err
	}
}
