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

// cacheCounters are corsedge's decision cache counters from /metrics.
type cacheCounters struct{ hits, misses, evictions float64 }

func (c cacheCounters) sub(o cacheCounters) cacheCounters {
	return cacheCounters{c.hits - o.hits, c.misses - o.misses, c.evictions - o.evictions}
}

func (c cacheCounters) add(o cacheCounters) cacheCounters {
	return cacheCounters{c.hits + o.hits, c.misses + o.misses, c.evictions + o.evictions}
}

// readCacheCounters scrapes corsedge's admin listener.
func readCacheCounters(ctx context.Context, admin string) (cacheCounters, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "GET", "http://"+admin+"/metrics", nil)
	if err != nil {
		return cacheCounters{}, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return cacheCounters{}, err
	}
	defer resp.Body.Close()
	var c cacheCounters
	want := map[string]*float64{
		"corsedge_decision_cache_hits_total":      &c.hits,
		"corsedge_decision_cache_misses_total":    &c.misses,
		"corsedge_decision_cache_evictions_total": &c.evictions,
	}
	found := 0
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		name, value, ok := strings.Cut(sc.Text(), " ")
		if p := want[name]; ok && p != nil {
			if *p, err = strconv.ParseFloat(strings.TrimSpace(value), 64); err != nil {
				return cacheCounters{}, fmt.Errorf("metrics: %s: %v", name, err)
			}
			found++
		}
	}
	if err := sc.Err(); err != nil {
		return cacheCounters{}, err
	}
	if found != len(want) {
		return cacheCounters{}, fmt.Errorf("metrics: found %d of the %d decision cache counters", found, len(want))
	}
	return c, nil
}
