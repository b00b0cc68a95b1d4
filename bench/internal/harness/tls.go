package harness

import (
	"bufio"
	"context"
	"crypto/tls"
	"fmt"
	"net/http"
	"strings"
	"time"

	"corsedge/bench/internal/load"
	"corsedge/bench/internal/report"
	"corsedge/bench/internal/scenario"
)

// genFor returns the load generator of sc: the configured one, except for
// a handshake per request over TLS, which only the built-in generator
// sends without resuming a session (wrk keeps and offers it).
func (h *harness) genFor(sc *scenario.Scenario) load.Generator {
	if sc.TLS && sc.Request.Close {
		return load.Go{}
	}
	return h.gen
}

// tlsFor returns the clients' TLS configuration for sc, nil over HTTP.
func (h *harness) tlsFor(sc *scenario.Scenario) *tls.Config {
	if !sc.TLS {
		return nil
	}
	return h.clientTLS
}

// checkResumption notes, for each server of a full-handshake scenario,
// whether it resumes a session a client offers: the scenario is only
// telling if it could and the load generator never lets it. It also takes
// the count of resumed requests a server logs (nginx), to compare after.
func (h *harness) checkResumption(ctx context.Context, all []*contender) error {
	for _, c := range all {
		ok, err := scenario.Resumes(ctx, c.proc.Addr, c.tls)
		if err != nil {
			return fmt.Errorf("%s: resumption check: %v", c.row.Label, err)
		}
		if ok {
			c.row.Notes = append(c.row.Notes, "resumes an offered session (checked before timing)")
		} else {
			c.row.Notes = append(c.row.Notes, "**did not resume an offered session** (checked before timing)")
		}
		c.resumedLog, _ = c.proc.Resumed()
	}
	return nil
}

// handshakeNotes records the evidence that every timed request of a
// full-handshake scenario had a full handshake: the generator's count of
// handshakes and resumptions (crypto/tls's DidResume), the server's own
// log of resumed sessions where it keeps one, and corsedge's handshake
// metrics where it has them.
func handshakeNotes(sec *report.Section, all []*contender) {
	for _, c := range all {
		note := fmt.Sprintf("%d handshakes over the warm-up and timed runs, %d resumed (client side)", c.handshakes, c.resumed)
		if n, ok := c.proc.Resumed(); ok {
			n -= c.resumedLog
			note += fmt.Sprintf("; requests on resumed sessions in nginx's log ($ssl_session_reused): %d", n)
			if n > 0 {
				c.row.Errors += int64(n)
				if c.row.FirstError == "" {
					c.row.FirstError = fmt.Sprintf("nginx logged %d requests on resumed sessions", n)
				}
			}
		}
		if admin := c.proc.AdminAddr(); admin != "" {
			if m := handshakeMetrics(admin); m != "" {
				note += "; its metrics: " + m
			}
		}
		c.row.Notes = append(c.row.Notes, note)
	}
	sec.Notes = append(sec.Notes, "Each request opens a connection, completes a full TLS handshake (the client keeps no "+
		"session cache, so it offers no ticket), sends `Connection: close` and waits for the server to close. "+
		"Before timing, each server was checked to resume a session when one is offered.")
}

// handshakeMetrics returns corsedge's /metrics samples that count TLS
// handshakes, "" when it has none (or no admin listener answers).
func handshakeMetrics(admin string) string {
	client := &http.Client{Timeout: 5 * time.Second}
	resp, err := client.Get("http://" + admin + "/metrics")
	if err != nil {
		return ""
	}
	defer resp.Body.Close()
	var samples []string
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "#") && strings.Contains(line, "handshake") {
			samples = append(samples, "`"+line+"`")
		}
	}
	return strings.Join(samples, ", ")
}
