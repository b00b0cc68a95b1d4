package harness

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// samples are one scrape of corsedge's /metrics: each series (its name
// with its labels, as written) and its value.
type samples map[string]float64

// scrape reads corsedge's /metrics from its admin listener.
func scrape(ctx context.Context, admin string) (samples, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "GET", "http://"+admin+"/metrics", nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("metrics: %s", resp.Status)
	}
	m := samples{}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		// The value is the last field: label values may hold spaces.
		i := strings.LastIndexByte(line, ' ')
		if i < 0 {
			continue
		}
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			return nil, fmt.Errorf("metrics: %q: %v", line, err)
		}
		m[strings.TrimSpace(line[:i])] = v
	}
	return m, sc.Err()
}

// sum adds up every series of the metric name, whatever its labels, and
// reports whether there was any.
func (m samples) sum(name string) (float64, bool) {
	total, found := 0.0, false
	for series, v := range m {
		if series == name || strings.HasPrefix(series, name+"{") {
			total += v
			found = true
		}
	}
	return total, found
}

// cacheCounters are corsedge's decision cache counters from /metrics, and
// the entries it held (a gauge: sub and add keep the later reading's).
type cacheCounters struct{ hits, misses, evictions, entries float64 }

func (c cacheCounters) sub(o cacheCounters) cacheCounters {
	return cacheCounters{c.hits - o.hits, c.misses - o.misses, c.evictions - o.evictions, c.entries}
}

func (c cacheCounters) add(o cacheCounters) cacheCounters {
	return cacheCounters{c.hits + o.hits, c.misses + o.misses, c.evictions + o.evictions, o.entries}
}

// readCacheCounters scrapes corsedge's decision cache counters.
func readCacheCounters(ctx context.Context, admin string) (cacheCounters, error) {
	m, err := scrape(ctx, admin)
	if err != nil {
		return cacheCounters{}, err
	}
	var c cacheCounters
	for name, p := range map[string]*float64{
		"corsedge_decision_cache_hits_total":      &c.hits,
		"corsedge_decision_cache_misses_total":    &c.misses,
		"corsedge_decision_cache_evictions_total": &c.evictions,
	} {
		v, ok := m.sum(name)
		if !ok {
			return cacheCounters{}, fmt.Errorf("metrics: no %s", name)
		}
		*p = v
	}
	c.entries, _ = m.sum("corsedge_decision_cache_entries") // a gauge older builds lack
	return c, nil
}
