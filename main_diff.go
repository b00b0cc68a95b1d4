package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"corsedge/edge"
	"corsedge/internal/impact"
	"corsedge/internal/safefile"
)

const diffUsage = "usage: corsedge diff (-pairs FILE | -from http://127.0.0.1:9090) [-json] OLD NEW\n"

// diff compares two rules files over a list of (origin, path) pairs, from
// a file or a running server's GET /traffic. Exit status: 0 when no pair
// changes, 1 when some do, 2 for a usage error or a file that cannot be
// read or does not compile.
func diff(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("diff", flag.ContinueOnError)
	fs.SetOutput(stderr)
	pairsFile := fs.String("pairs", "", `file of "ORIGIN PATH [COUNT]" lines ("-": standard input)`)
	from := fs.String("from", "", "admin address of a running server whose recorded traffic is compared (GET /traffic)")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	maxSize := maxRulesSizeFlag(fs)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() != 2 || (*pairsFile == "") == (*from == "") {
		fmt.Fprint(stderr, diffUsage)
		fs.PrintDefaults()
		return 2
	}
	pairs, err := readDiffPairs(*pairsFile, *from)
	if err != nil {
		fmt.Fprintf(stderr, "corsedge diff: %v\n", err)
		return 2
	}
	old, err := loadRules(fs.Arg(0), *maxSize)
	if err != nil {
		printLoadError(stderr, fs.Arg(0), err)
		return 2
	}
	next, err := loadRules(fs.Arg(1), *maxSize)
	if err != nil {
		printLoadError(stderr, fs.Arg(1), err)
		return 2
	}
	r := impact.Compare(old, next, pairs)
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false) // "allowed->refused" as written
		err = enc.Encode(r)
	} else {
		err = r.WriteText(stdout)
	}
	switch {
	case err != nil:
		fmt.Fprintf(stderr, "corsedge diff: %v\n", err)
		return 2
	case len(r.Changes) > 0:
		return 1
	}
	return 0
}

// readDiffPairs reads the pairs from file, or fetches them from the admin
// address from; paths from a file are cleaned as the server cleans them.
func readDiffPairs(file, from string) ([]impact.Pair, error) {
	if from != "" {
		return fetchTraffic(from)
	}
	var in io.Reader = os.Stdin
	if file != "-" {
		c, err := safefile.New(safefile.Options{}).Read(file)
		if err != nil {
			return nil, err
		}
		in = strings.NewReader(string(c.Data))
	}
	pairs, err := impact.ReadPairs(in)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	for i := range pairs {
		pairs[i].Path = edge.CleanPath(pairs[i].Path)
	}
	return pairs, nil
}

// fetchTraffic gets a server's recorded pairs from its admin endpoint.
func fetchTraffic(addr string) ([]impact.Pair, error) {
	if !strings.Contains(addr, "://") {
		addr = "http://" + addr
	}
	url := strings.TrimSuffix(addr, "/") + "/traffic"
	client := http.Client{Timeout: 30 * time.Second}
	resp, err := client.Get(url)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	var body struct {
		Pairs []impact.Pair `json:"pairs"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		return nil, fmt.Errorf("GET %s: %w", url, err)
	}
	return body.Pairs, nil
}
