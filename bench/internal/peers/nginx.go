package peers

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"text/template"

	"corsedge/bench/internal/fixture"
)

// brotliModule is where Debian's libnginx-mod-http-brotli-static puts its module.
const brotliModule = "/usr/lib/nginx/modules/ngx_http_brotli_static_module.so"

// NginxBinary returns the nginx binary, or "" when nginx is not installed.
func NginxBinary() string {
	if p, err := exec.LookPath("nginx"); err == nil {
		return p
	}
	if _, err := os.Stat("/usr/sbin/nginx"); err == nil {
		return "/usr/sbin/nginx"
	}
	return ""
}

// NginxBrotli reports whether nginx can serve .br sidecars (brotli_static).
func NginxBrotli() bool {
	_, err := os.Stat(brotliModule)
	return err == nil
}

func nginxMissing() string {
	if NginxBinary() == "" {
		return "nginx is not installed (apt-get install nginx-light)"
	}
	return ""
}

// nginxCommand writes an nginx.conf with the policy and returns the
// command that runs nginx in the foreground with it.
func nginxCommand(env *Env, addr string, l Launch) ([]string, error) {
	if l.Sites != nil {
		return nginxSitesCommand(env, addr, l, false)
	}
	dir := nginxDir(env, addr)
	if err := os.MkdirAll(filepath.Join(dir, "temp"), 0o755); err != nil {
		return nil, err
	}
	var conf bytes.Buffer
	err := nginxConf.Execute(&conf, map[string]any{
		"Dir": dir, "Addr": addr, "Root": env.Files.Root, "Workers": max(env.Workers, 1),
		"Brotli":      NginxBrotli(),
		"BrotliPath":  brotliModule,
		"Exact":       fixture.ExactOrigins,
		"Wildcards":   wildcardRegexps(),
		"Methods":     fixture.Methods,
		"HeaderRegex": headerListRegexp(),
		"Headers":     strings.Join(fixture.Headers, ", "),
		"MethodList":  strings.Join(fixture.Methods, ", "),
		"MaxAge":      fixture.MaxAge,
		"Credentials": fixture.Credentials,
		"Immutable":   fixture.Immutable,
		"TLS":         l.TLS,
		"ResumedLog":  nginxResumedLog(env, addr),
		"Cert":        env.Files.Cert,
		"Key":         env.Files.Key,
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

func nginxDir(env *Env, addr string) string {
	return filepath.Join(env.Dir, "nginx-"+strings.ReplaceAll(addr, ":", "-"))
}

func nginxResumedLog(env *Env, addr string) string {
	return filepath.Join(nginxDir(env, addr), "resumed.log")
}

// wildcardRegexps returns, per wildcard domain, a regexp matching what
// corsedge's https://*.domain matches: one or more lowercase labels before it.
func wildcardRegexps() []string {
	var res []string
	for _, d := range fixture.WildcardDomains {
		res = append(res, `^https://([a-z0-9-]+\.)+`+regexp.QuoteMeta(d)+`$`)
	}
	return res
}

// headerListRegexp matches an Access-Control-Request-Headers value made
// only of allowed names, case-insensitively (nginx's ~* map entries).
func headerListRegexp() string {
	names := make([]string, len(fixture.Headers))
	for i, h := range fixture.Headers {
		names[i] = regexp.QuoteMeta(h)
	}
	one := "(" + strings.Join(names, "|") + ")"
	return `^\s*` + one + `(\s*,\s*` + one + `)*\s*$`
}

// nginxConf mirrors corsedge's rules.toml: the credentialed partner rule on
// /js/ (a map on $http_origin decides; preflights that ask for an unlisted
// method or header are refused 403), and a "*" rule with an immutable
// Cache-Control on /fonts/ and /css/, served with sendfile, open_file_cache
// and the precompressed sidecars. keepalive_requests is raised from its
// default 1000 so that nginx, like corsedge, keeps a benchmark's
// connections open instead of reconnecting every thousand requests.
//
// Over HTTPS nginx has the fixture's certificate, TLS 1.2 and 1.3 and
// session resumption (a shared cache and tickets) as corsedge does. It
// prefers, as Go's crypto/tls does on a CPU with AES instructions,
// AES-128-GCM and X25519, so that both do the same cryptographic work
// whatever a client lists first (wrk, through OpenSSL, lists AES-256
// first). Connections that resumed a session are logged to resumed.log:
// the evidence that a full-handshake scenario had none.
// nginxMain opens every nginx.conf the harness writes: nginx in the
// foreground, one master, its pid, logs and temporary files in the run's
// directory; the http block goes on from there.
const nginxMain = `worker_processes {{.Workers}};
daemon off;
master_process on;
pid {{.Dir}}/nginx.pid;
error_log {{.Dir}}/error.log warn;

events {
    worker_connections 4096;
}

http {
    access_log off;
    server_tokens off;
    client_body_temp_path {{.Dir}}/temp/body;
    proxy_temp_path {{.Dir}}/temp/proxy;
    fastcgi_temp_path {{.Dir}}/temp/fastcgi;
    uwsgi_temp_path {{.Dir}}/temp/uwsgi;
    scgi_temp_path {{.Dir}}/temp/scgi;
`

var nginxConf = template.Must(template.New("nginx.conf").Parse(`
{{- if .Brotli}}load_module {{.BrotliPath}};
{{end -}}
` + nginxMain + `
    types {
        font/woff2 woff2;
        text/css css;
        text/javascript js;
    }
    default_type application/octet-stream;
    charset utf-8;
    charset_types text/css text/javascript;

    sendfile on;
    tcp_nopush on;
    tcp_nodelay on;
    open_file_cache max=1000 inactive=60s;
    open_file_cache_valid 60s;
    open_file_cache_errors on;
    keepalive_requests 100000000;
    keepalive_timeout 60s;

    map $http_origin $cors_origin {
        default "";
{{- range .Exact}}
        "{{.}}" $http_origin;
{{- end}}
{{- range .Wildcards}}
        "~{{.}}" $http_origin;
{{- end}}
    }
    map $cors_origin $cors_credentials {
        "" "";
        default "{{.Credentials}}";
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
        "~*{{.HeaderRegex}}" 1;
    }
    map "$request_method|$http_origin|$http_access_control_request_method" $cors_is_preflight {
        default 0;
        "~^OPTIONS\|[^|]+\|." 1;
    }
    map "$cors_is_preflight$cors_method_ok$cors_headers_ok:$cors_origin" $cors_preflight {
        default "";
        "~^111:." allow;
        "~^1" refuse;
    }

    # A bare "return 403" sends nginx's HTML error page, and so does an empty
    # literal text; an empty variable as the text makes the body empty, as
    # corsedge's is.
    map $request_method $cors_empty {
        default "";
    }
{{- if .TLS}}

    log_format resumed '$ssl_session_reused $ssl_protocol $ssl_cipher $ssl_curve $request';
    map $ssl_session_reused $cors_resumed {
        r 1;
        default 0;
    }
{{- end}}

    server {
        listen {{.Addr}}{{if .TLS}} ssl{{end}}{{if gt .Workers 1}} reuseport{{end}};
        root {{.Root}};
{{- if .TLS}}
        ssl_certificate {{.Cert}};
        ssl_certificate_key {{.Key}};
        ssl_protocols TLSv1.2 TLSv1.3;
        ssl_session_cache shared:SSL:10m;
        ssl_session_timeout 1h;
        ssl_session_tickets on;
        ssl_prefer_server_ciphers on;
        ssl_conf_command Ciphersuites TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256;
        ssl_ecdh_curve X25519:prime256v1;
        access_log {{.ResumedLog}} resumed if=$cors_resumed;
{{- end}}

        location /js/ {
            if ($cors_preflight = allow) {
                add_header Access-Control-Allow-Origin $cors_origin;
                add_header Access-Control-Allow-Credentials $cors_credentials;
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
            add_header Access-Control-Allow-Credentials $cors_credentials;
            add_header Vary "Origin, Accept-Encoding";
            add_header Cache-Control "public, max-age=3600";
            add_header X-Content-Type-Options nosniff;
        }

        location /fonts/ {
            add_header Access-Control-Allow-Origin "*";
            add_header Cache-Control "{{.Immutable}}";
            add_header X-Content-Type-Options nosniff;
        }

        location /css/ {
            gzip_static on;
{{- if .Brotli}}
            brotli_static on;
{{- end}}
            gzip_vary on;
            add_header Access-Control-Allow-Origin "*";
            add_header Cache-Control "{{.Immutable}}";
            add_header X-Content-Type-Options nosniff;
        }
    }
}
`))
