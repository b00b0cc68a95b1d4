package peers

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"text/template"

	"corsedge/bench/internal/fixture"
)

// nginxSitesCommand writes the sites suite's nginx.conf: with regex, the
// site number comes from the Origin by one regular expression (which only
// works because every site is named siteN); else, as for real customers'
// arbitrary domains, from a hostnames map of every site's hosts.
func nginxSitesCommand(env *Env, addr string, l Launch, regex bool) ([]string, error) {
	dir := nginxDir(env, addr)
	if err := os.MkdirAll(filepath.Join(dir, "temp"), 0o755); err != nil {
		return nil, err
	}
	s := l.Sites
	type host struct {
		Host string
		Site int
	}
	var hosts, extra []host
	for i := 1; i <= s.Count; i++ {
		for _, o := range s.SiteOrigins(i) {
			h := host{strings.TrimPrefix(o, "https://"), i}
			hosts = append(hosts, h)
			if !strings.Contains(o, "*") && !strings.HasPrefix(o, fmt.Sprintf("https://site%d.", i)) {
				extra = append(extra, host{o, i}) // an edit's: the regex does not know it
			}
		}
	}
	sites := make([]int, s.Count)
	for i := range sites {
		sites[i] = i + 1
	}
	var conf bytes.Buffer
	err := nginxSitesConf.Execute(&conf, map[string]any{
		"Dir": dir, "Addr": addr, "Root": s.Root, "Workers": max(env.Workers, 1),
		"FileCache": 2 * s.Count, // every site's file stays open
		"Regex":     regex, "Hosts": hosts, "Extra": extra, "Sites": sites,
		// Each map's hash must hold every key without nginx warning and
		// growing it at start: a bucket of 128 bytes holds a few hosts.
		"HashMax":    nextPow2(4 * len(hosts)),
		"Methods":    fixture.SiteMethods,
		"MethodList": strings.Join(fixture.SiteMethods, ", "),
		"Headers":    strings.Join(fixture.SiteHeaders, ", "),
		"HeaderRe":   `^\s*` + strings.Join(fixture.SiteHeaders, `\s*,\s*`) + `\s*$`,
		"MaxAge":     fixture.MaxAge,
		"Immutable":  fixture.Immutable,
		"Prefix":     fixture.SitePrefix,
	})
	if err != nil {
		return nil, err
	}
	file := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(file, conf.Bytes(), 0o644); err != nil {
		return nil, err
	}
	return []string{NginxBinary(), "-p", dir, "-c", file, "-e", filepath.Join(dir, "error.log")}, nil
}

func nextPow2(n int) int {
	p := 1024
	for p < n {
		p *= 2
	}
	return p
}

// nginxSitesConf decides as corsedge's one rule per site does: the site
// the Origin belongs to ($origin_site, from a map), the site the path
// belongs to ($path_site, captured by the one regex location), and a
// hashed map of "N:N" for every site comparing the two — two hash lookups
// and two short regexes a request, however many sites, and no `if` per site.
var nginxSitesConf = template.Must(template.New("nginx-sites.conf").Parse(nginxMain + `
    types {
        font/woff2 woff2;
    }
    default_type application/octet-stream;

    sendfile on;
    tcp_nopush on;
    tcp_nodelay on;
    open_file_cache max={{.FileCache}} inactive=60s;
    open_file_cache_valid 60s;
    open_file_cache_errors on;
    keepalive_requests 100000000;
    keepalive_timeout 60s;

    map_hash_max_size {{.HashMax}};
    map_hash_bucket_size 128;
{{if .Regex}}
    # The site number straight from the Origin: right only because every
    # site is named siteN.example. Edited sites' extra origins come first
    # (exact strings are looked up before regexes).
    map $http_origin $origin_site {
        default "";
{{- range .Extra}}
        "{{.Host}}" {{.Site}};
{{- end}}
        "~^https://([a-z0-9-]+\.)*site(?<origin_n>[0-9]+)\.example$" $origin_n;
    }
{{else}}
    # The host of an https Origin without a port (corsedge's origins have
    # none), then every site's hosts in one hashed hostnames map:
    # "*.siteN.example" matches subdomains of any depth, as corsedge's
    # "https://*.siteN.example" does.
    map $http_origin $origin_host {
        default "";
        "~^https://(?<origin_hostname>[a-z0-9.-]+)$" $origin_hostname;
    }
    map $origin_host $origin_site {
        hostnames;
        default "";
{{- range .Hosts}}
        {{.Host}} {{.Site}};
{{- end}}
    }
{{end}}
    # Allowed when the Origin's site is the path's.
    map "$origin_site:$path_site" $site_ok {
        default 0;
{{- range .Sites}}
        {{.}}:{{.}} 1;
{{- end}}
    }
    map $site_ok $cors_origin {
        default "";
        1 $http_origin;
    }
    map $http_access_control_request_method $cors_method_ok {
        default 0;
{{- range .Methods}}
        {{.}} 1;
{{- end}}
    }
    map $http_access_control_request_headers $cors_headers_ok {
        default 0;
        "" 1;
        "~*{{.HeaderRe}}" 1;
    }
    map "$request_method|$http_origin|$http_access_control_request_method" $cors_is_preflight {
        default 0;
        "~^OPTIONS\|[^|]+\|." 1;
    }
    map "$cors_is_preflight$cors_method_ok$cors_headers_ok$site_ok" $cors_preflight {
        default "";
        1111 allow;
        "~^1" refuse;
    }
    # An empty variable as return's text: an empty 403 body, as corsedge's.
    map $request_method $cors_empty {
        default "";
    }

    server {
        listen {{.Addr}}{{if gt .Workers 1}} reuseport{{end}};
        root {{.Root}};

        location ~ ^{{.Prefix}}(?<path_site>[0-9]+)/ {
            if ($cors_preflight = allow) {
                add_header Access-Control-Allow-Origin $cors_origin;
                add_header Access-Control-Allow-Methods "{{.MethodList}}";
                add_header Access-Control-Allow-Headers "{{.Headers}}";
                add_header Access-Control-Max-Age {{.MaxAge}};
                add_header Vary "Origin, Access-Control-Request-Method, Access-Control-Request-Headers";
                return 204;
            }
            if ($cors_preflight = refuse) {
                add_header Vary "Origin, Access-Control-Request-Method, Access-Control-Request-Headers" always;
                return 403 $cors_empty;
            }
            add_header Access-Control-Allow-Origin $cors_origin;
            add_header Vary Origin;
            add_header Cache-Control "{{.Immutable}}";
            add_header X-Content-Type-Options nosniff;
        }
    }
}
`))
