package deploy_test

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"corsedge/edge"
	"corsedge/internal/testpki"
)

// The parts of the manifests that the tests check, as the Kubernetes API
// names them.
type (
	object struct {
		Kind     string `yaml:"kind"`
		Metadata struct {
			Name string `yaml:"name"`
		} `yaml:"metadata"`
	}
	kustomization struct {
		Resources []string `yaml:"resources"`
	}
	configMap struct {
		object `yaml:",inline"`
		Data   map[string]string `yaml:"data"`
	}
	labelSelector struct {
		MatchLabels map[string]string `yaml:"matchLabels"`
	}
	deployment struct {
		object `yaml:",inline"`
		Spec   struct {
			Replicas int           `yaml:"replicas"`
			Selector labelSelector `yaml:"selector"`
			Template struct {
				Metadata struct {
					Labels map[string]string `yaml:"labels"`
				} `yaml:"metadata"`
				Spec podSpec `yaml:"spec"`
			} `yaml:"template"`
		} `yaml:"spec"`
	}
	podSpec struct {
		TerminationGracePeriodSeconds *int64 `yaml:"terminationGracePeriodSeconds"`
		SecurityContext               struct {
			RunAsNonRoot *bool   `yaml:"runAsNonRoot"`
			RunAsUser    *uint32 `yaml:"runAsUser"`
			RunAsGroup   *uint32 `yaml:"runAsGroup"`
		} `yaml:"securityContext"`
		Containers []container `yaml:"containers"`
		Volumes    []struct {
			Name      string `yaml:"name"`
			ConfigMap *struct {
				Name  string `yaml:"name"`
				Items []any  `yaml:"items"`
			} `yaml:"configMap"`
			Secret *struct {
				SecretName string `yaml:"secretName"`
				Items      []any  `yaml:"items"`
			} `yaml:"secret"`
		} `yaml:"volumes"`
	}
	container struct {
		Name    string   `yaml:"name"`
		Command []string `yaml:"command"`
		Args    []string `yaml:"args"`
		Ports   []struct {
			Name          string `yaml:"name"`
			ContainerPort int    `yaml:"containerPort"`
		} `yaml:"ports"`
		Env []struct {
			Name      string `yaml:"name"`
			Value     string `yaml:"value"`
			ValueFrom *struct {
				ResourceFieldRef *struct {
					Resource string `yaml:"resource"`
				} `yaml:"resourceFieldRef"`
			} `yaml:"valueFrom"`
		} `yaml:"env"`
		Resources struct {
			Requests map[string]string `yaml:"requests"`
			Limits   map[string]string `yaml:"limits"`
		} `yaml:"resources"`
		ReadinessProbe  *probe `yaml:"readinessProbe"`
		LivenessProbe   *probe `yaml:"livenessProbe"`
		StartupProbe    *probe `yaml:"startupProbe"`
		SecurityContext struct {
			RunAsNonRoot             *bool `yaml:"runAsNonRoot"`
			AllowPrivilegeEscalation *bool `yaml:"allowPrivilegeEscalation"`
			ReadOnlyRootFilesystem   *bool `yaml:"readOnlyRootFilesystem"`
			Capabilities             struct {
				Add  []string `yaml:"add"`
				Drop []string `yaml:"drop"`
			} `yaml:"capabilities"`
		} `yaml:"securityContext"`
		VolumeMounts []struct {
			Name      string `yaml:"name"`
			MountPath string `yaml:"mountPath"`
			SubPath   string `yaml:"subPath"`
			ReadOnly  bool   `yaml:"readOnly"`
		} `yaml:"volumeMounts"`
	}
	probe struct {
		HTTPGet *struct {
			Path string `yaml:"path"`
			Port string `yaml:"port"` // a number or a container port's name
		} `yaml:"httpGet"`
	}
	service struct {
		object `yaml:",inline"`
		Spec   struct {
			Selector map[string]string `yaml:"selector"`
			Ports    []struct {
				Name       string `yaml:"name"`
				Port       int    `yaml:"port"`
				TargetPort string `yaml:"targetPort"`
			} `yaml:"ports"`
		} `yaml:"spec"`
	}
	podDisruptionBudget struct {
		object `yaml:",inline"`
		Spec   struct {
			Selector labelSelector `yaml:"selector"`
		} `yaml:"spec"`
	}
)

// manifests is deploy/kubernetes, one object of each kind.
type manifests struct {
	deployment deployment
	configMap  configMap
	service    service
	pdb        podDisruptionBudget
}

// readManifests decodes every file kustomization.yaml lists, and checks
// that it lists every manifest in the directory.
func readManifests(t *testing.T) manifests {
	t.Helper()
	var k kustomization
	decode(t, "kubernetes/kustomization.yaml", &k)
	files, _ := filepath.Glob("kubernetes/*.yaml")
	for _, f := range files {
		if base := filepath.Base(f); base != "kustomization.yaml" && !slices.Contains(k.Resources, base) {
			t.Errorf("kustomization.yaml does not list %s", base)
		}
	}
	var m manifests
	seen := map[string]bool{}
	for _, r := range k.Resources {
		file := filepath.Join("kubernetes", r)
		var o object
		decode(t, file, &o)
		targets := map[string]any{
			"Deployment": &m.deployment, "ConfigMap": &m.configMap,
			"Service": &m.service, "PodDisruptionBudget": &m.pdb,
		}
		target, ok := targets[o.Kind]
		if !ok || seen[o.Kind] {
			t.Fatalf("%s: kind %q: want one each of Deployment, ConfigMap, Service, PodDisruptionBudget", file, o.Kind)
		}
		seen[o.Kind] = true
		decode(t, file, target)
	}
	if len(seen) != 4 {
		t.Fatalf("kustomization.yaml: kinds %v: want one each of Deployment, ConfigMap, Service, PodDisruptionBudget", seen)
	}
	return m
}

func decode(t *testing.T, file string, v any) {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(data, v); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
}

// TestKubernetes checks the manifests against the binary and the image:
// the flags the container passes, the ports they open against the ports
// the probes and the Service name, the ConfigMap's mount against -rules,
// the TLS Secret's mount against -tls-cert and -tls-key; then runs the
// binary with the container's args on the ConfigMap and a throwaway
// certificate laid out as the kubelet does, GETs each probe's path and the
// font over HTTP and HTTPS, edits the ConfigMap and renews the Secret.
func TestKubernetes(t *testing.T) {
	img := binary(t)
	m := readManifests(t)
	pod := m.deployment.Spec.Template.Spec
	if len(pod.Containers) != 1 {
		t.Fatalf("deployment.yaml: %d containers, want 1", len(pod.Containers))
	}
	c := pod.Containers[0]
	if len(c.Command) > 0 {
		t.Fatalf("deployment.yaml: command %q replaces the image's ENTRYPOINT; set args only", c.Command)
	}
	inv := parseArgs(t, "deployment.yaml args", img.args(c.Args))
	labels := m.deployment.Spec.Template.Metadata.Labels
	portNamed := map[string]string{}
	for _, p := range c.Ports {
		portNamed[p.Name] = strconv.Itoa(p.ContainerPort)
	}
	// resolve turns a probe's or Service's port (number or name) into a number.
	resolve := func(p string) string {
		if n, ok := portNamed[p]; ok {
			return n
		}
		return p
	}
	publicPort, adminPort := port(t, "-addr", inv.values["addr"]), port(t, "-admin", inv.values["admin"])
	if inv.values["tls-addr"] == "" {
		t.Fatal("deployment.yaml args: no -tls-addr: browsers block http:// fonts and scripts on an https:// page")
	}
	httpsPort := port(t, "-tls-addr", inv.values["tls-addr"])
	rulesDir, rulesKey := path.Split(inv.values["rules"])

	shutdownDelay, err := time.ParseDuration(inv.values["shutdown-delay"])
	if err != nil {
		t.Fatalf("-shutdown-delay %q: %v", inv.values["shutdown-delay"], err)
	}
	cases := []struct {
		desc string
		fail string // empty when the case holds
	}{
		{"the Deployment's selector picks its pods", unless(subset(m.deployment.Spec.Selector.MatchLabels, labels), "selector %v, pod labels %v", m.deployment.Spec.Selector.MatchLabels, labels)},
		{"the Service's selector picks the pods", unless(subset(m.service.Spec.Selector, labels), "selector %v, pod labels %v", m.service.Spec.Selector, labels)},
		{"the PodDisruptionBudget's selector picks the pods", unless(subset(m.pdb.Spec.Selector.MatchLabels, labels), "selector %v, pod labels %v", m.pdb.Spec.Selector.MatchLabels, labels)},
		{"more than one replica, so a disruption leaves one serving", unless(m.deployment.Spec.Replicas > 1, "replicas: %d", m.deployment.Spec.Replicas)},
		{"a container port for -addr", unless(slices.Contains(mapsValues(portNamed), publicPort), "-addr %s, container ports %v", inv.values["addr"], portNamed)},
		{"a container port for -admin", unless(slices.Contains(mapsValues(portNamed), adminPort), "-admin %s, container ports %v", inv.values["admin"], portNamed)},
		{"-admin reachable from the kubelet", unless(allAddresses(inv.values["admin"]), "-admin %s listens on loopback only: probes from the kubelet fail", inv.values["admin"])},
		{"readiness and liveness probes", unless(c.ReadinessProbe != nil && c.LivenessProbe != nil, "readinessProbe %v, livenessProbe %v", c.ReadinessProbe, c.LivenessProbe)},
		{"probes GET the admin port", probesOnAdmin(c, resolve, adminPort)},
		{"a container port for -tls-addr", unless(slices.Contains(mapsValues(portNamed), httpsPort), "-tls-addr %s, container ports %v", inv.values["tls-addr"], portNamed)},
		{"-tls-addr reachable through the Service", unless(allAddresses(inv.values["tls-addr"]), "-tls-addr %s listens on loopback only", inv.values["tls-addr"])},
		{"the Service exposes the public port", serviceExposes(m.service, resolve, publicPort)},
		{"the Service exposes the HTTPS port", serviceExposes(m.service, resolve, httpsPort)},
		{"the Service does not expose the admin port", serviceHides(m.service, resolve, adminPort)},
		{"runAsNonRoot", unless(isTrue(c.SecurityContext.RunAsNonRoot) || isTrue(pod.SecurityContext.RunAsNonRoot), "runAsNonRoot is not set")},
		{"runAsUser is the image's USER", unless(pod.SecurityContext.RunAsUser == nil || *pod.SecurityContext.RunAsUser == img.uid, "runAsUser %d, image USER %d", deref(pod.SecurityContext.RunAsUser), img.uid)},
		{"readOnlyRootFilesystem", unless(isTrue(c.SecurityContext.ReadOnlyRootFilesystem), "readOnlyRootFilesystem is not true")},
		{"no privilege escalation", unless(c.SecurityContext.AllowPrivilegeEscalation != nil && !*c.SecurityContext.AllowPrivilegeEscalation, "allowPrivilegeEscalation is not false")},
		{"all capabilities dropped", unless(slices.Contains(c.SecurityContext.Capabilities.Drop, "ALL") && len(c.SecurityContext.Capabilities.Add) == 0, "capabilities %+v", c.SecurityContext.Capabilities)},
		{"resource requests and a memory limit", unless(c.Resources.Requests["cpu"] != "" && c.Resources.Requests["memory"] != "" && c.Resources.Limits["memory"] != "", "resources %+v", c.Resources)},
		{"the grace period outlasts the shutdown delay and the drain", unless(pod.TerminationGracePeriodSeconds != nil && time.Duration(*pod.TerminationGracePeriodSeconds)*time.Second > shutdownDelay+edge.ShutdownTimeout, "terminationGracePeriodSeconds %v, -shutdown-delay %v + drain bound %v", pod.TerminationGracePeriodSeconds, shutdownDelay, edge.ShutdownTimeout)},
		{"a shutdown delay behind the Service", unless(shutdownDelay > 0, "-shutdown-delay is %v: endpoints still send to a pod that has stopped accepting", shutdownDelay)},
		{"readiness on /readyz, which turns 503 on SIGTERM", unless(c.ReadinessProbe != nil && c.ReadinessProbe.HTTPGet != nil && c.ReadinessProbe.HTTPGet.Path == "/readyz", "readinessProbe %+v", c.ReadinessProbe)},
		{"-rules lies in the ConfigMap's mount", rulesMounted(m, c, rulesDir, rulesKey)},
		{"-tls-cert and -tls-key are a TLS Secret's keys in its mount", tlsMounted(m, c, inv)},
	}
	for _, tc := range cases {
		if tc.fail != "" {
			t.Errorf("desc=%s: %s", tc.desc, tc.fail)
		}
	}
	t.Run("desc=corsedge check accepts the ConfigMap's rules", func(t *testing.T) {
		file := filepath.Join(t.TempDir(), rulesKey)
		if err := os.WriteFile(file, []byte(m.configMap.Data[rulesKey]), 0o644); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command(img.path, "check", file).CombinedOutput(); err != nil {
			t.Errorf("corsedge check %s: %v\n%s", rulesKey, err, out)
		}
	})
	t.Run("desc=the pod serves and answers its probes", func(t *testing.T) {
		root := img.rootfs(t)
		mountVolume(t, filepath.Join(root, rulesDir), m.configMap.Data)
		// Each Secret mount the pairs name holds a certificate of a test
		// CA, as cert-manager would have put it there.
		ca := testpki.NewCA(t)
		leaves := map[string]testpki.Leaf{} // Secret mount directory -> its certificate
		for _, f := range inv.all["tls-cert"] {
			if dir := path.Dir(f); leaves[dir].Cert == nil {
				leaves[dir] = ca.Issue(t, testpki.Spec{})
				mountVolume(t, filepath.Join(root, dir), secretData(leaves[dir]))
			}
		}
		uid, gid := img.uid, img.gid
		if u := pod.SecurityContext.RunAsUser; u != nil {
			uid = *u
		}
		if g := pod.SecurityContext.RunAsGroup; g != nil {
			gid = *g
		}
		s := start(t, sandbox{
			rootfs: root, dir: img.workdir, uid: uid, gid: gid,
			env:  slices.Concat(baseEnv, img.env, containerEnv(t, c)),
			args: slices.Concat(img.entrypoint[:1], withAddrs(img.args(c.Args), loopback(inv))),
		})
		if s.tls == "" {
			t.Fatalf("the startup line names no HTTPS URL:\n%s", s.log)
		}
		for _, p := range []*probe{c.ReadinessProbe, c.LivenessProbe, c.StartupProbe} {
			if p == nil || p.HTTPGet == nil {
				continue
			}
			if resp, body := get(t, s.admin+p.HTTPGet.Path); resp.StatusCode != 200 {
				t.Errorf("probe GET %s: %d %s", p.HTTPGet.Path, resp.StatusCode, body)
			}
		}
		var st edge.Status
		_, body := get(t, s.admin+"/status")
		if err := json.Unmarshal([]byte(body), &st); err != nil || st.RulesFile != inv.values["rules"] || st.Rules == 0 {
			t.Errorf("/status %s: want the ConfigMap's rules from %s", body, inv.values["rules"])
		}
		checkFont(t, s)
		https := httpsClient(ca)
		certDir := path.Dir(inv.all["tls-cert"][0])
		if got, want := servedSerial(checkFontAt(t, https, s.tls+demoFont(t, s))), leaves[certDir].Cert.SerialNumber; got.Cmp(want) != 0 {
			t.Errorf("HTTPS served serial %v, want %v: the Secret's certificate", got, want)
		}
		if len(st.Certificates) != len(inv.all["tls-cert"]) || st.Certificates[0].CertFile != inv.all["tls-cert"][0] || st.Certificates[0].SHA256 != fingerprint(leaves[certDir]) || st.Certificates[0].LastError != nil {
			t.Errorf("/status %s: want the certificates of %q, the first %s", body, inv.all["tls-cert"], fingerprint(leaves[certDir]))
		}
		// An edited ConfigMap: the kubelet writes a new timestamped
		// directory and renames a new ..data over the old.
		edited := maps.Clone(m.configMap.Data)
		edited[rulesKey] += "\n[[rule]]\nname = \"added\"\npaths = [\"/added/\"]\norigins = [\"*\"]\n"
		updateVolume(t, filepath.Join(root, rulesDir), "..2025_01_01_00_01_00.000000001", edited)
		for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			_, body := get(t, s.admin+"/status")
			var now edge.Status
			if json.Unmarshal([]byte(body), &now) == nil && now.Generation > st.Generation && now.Rules == st.Rules+1 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("no reload after the ConfigMap's ..data swap: /status %s\n%s", body, s.log)
			}
		}
		// A renewed Secret (cert-manager's every renewal): the same swap;
		// every request through it is a 200, then the new certificate is
		// the one /status lists and new handshakes get.
		renewed := ca.Issue(t, testpki.Spec{})
		updateVolume(t, filepath.Join(root, certDir), "..2025_01_01_00_02_00.000000001", secretData(renewed))
		for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			_, body := get(t, s.admin+"/status")
			var now edge.Status
			served := servedSerial(checkFontAt(t, https, s.tls+demoFont(t, s)))
			if json.Unmarshal([]byte(body), &now) == nil && len(now.Certificates) > 0 && now.Certificates[0].SHA256 == fingerprint(renewed) && served.Cmp(renewed.Cert.SerialNumber) == 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("after the Secret's ..data swap: served serial %v, want %v; /status %s\n%s", served, renewed.Cert.SerialNumber, body, s.log)
			}
		}
	})
}

// secretData is a kubernetes.io/tls Secret's data for leaf.
func secretData(leaf testpki.Leaf) map[string]string {
	return map[string]string{"tls.crt": string(leaf.CertPEM), "tls.key": string(leaf.KeyPEM)}
}

// fingerprint is leaf's SHA-256 as /status shows it.
func fingerprint(leaf testpki.Leaf) string {
	sum := leaf.Fingerprint()
	return hex.EncodeToString(sum[:])
}

// mountVolume lays out data in dir as the kubelet does for a ConfigMap or
// Secret volume: the files in a timestamped directory (mode 0644, the
// volumes' defaultMode), ..data a symlink to it, and each key a symlink
// through ..data.
func mountVolume(t *testing.T, dir string, data map[string]string) {
	t.Helper()
	stamp := "..2025_01_01_00_00_00.000000001"
	if err := os.MkdirAll(filepath.Join(dir, stamp), 0o755); err != nil {
		t.Fatal(err)
	}
	for key, value := range data {
		if err := os.WriteFile(filepath.Join(dir, stamp, key), []byte(value), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(filepath.Join("..data", key), filepath.Join(dir, key)); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(stamp, filepath.Join(dir, "..data")); err != nil {
		t.Fatal(err)
	}
}

// updateVolume changes a volume that mountVolume laid out as the kubelet
// does (its atomic writer): every key written to a new timestamped
// directory, a new ..data symlink renamed over the old, the old directory
// removed.
func updateVolume(t *testing.T, dir, stamp string, data map[string]string) {
	t.Helper()
	old, err := os.Readlink(filepath.Join(dir, "..data"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, stamp), 0o755); err != nil {
		t.Fatal(err)
	}
	for key, value := range data {
		if err := os.WriteFile(filepath.Join(dir, stamp, key), []byte(value), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(stamp, filepath.Join(dir, "..data_tmp")); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(filepath.Join(dir, "..data_tmp"), filepath.Join(dir, "..data")); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(filepath.Join(dir, old)); err != nil {
		t.Fatal(err)
	}
}

// containerEnv resolves the container's env as the kubelet would; a
// resourceFieldRef to limits.memory becomes the limit in bytes.
func containerEnv(t *testing.T, c container) []string {
	t.Helper()
	var env []string
	for _, e := range c.Env {
		v := e.Value
		if e.ValueFrom != nil {
			ref := e.ValueFrom.ResourceFieldRef
			if ref == nil || ref.Resource != "limits.memory" {
				t.Fatalf("env %s: only valueFrom.resourceFieldRef limits.memory is followed by this test", e.Name)
			}
			v = strconv.FormatInt(quantity(t, c.Resources.Limits["memory"]), 10)
		}
		env = append(env, e.Name+"="+v)
	}
	return env
}

// quantity reads a Kubernetes memory quantity such as 256Mi.
func quantity(t *testing.T, q string) int64 {
	t.Helper()
	for i, suffix := range []string{"Ki", "Mi", "Gi"} {
		if n, ok := strings.CutSuffix(q, suffix); ok {
			v, err := strconv.ParseInt(n, 10, 64)
			if err == nil {
				return v << (10 * (i + 1))
			}
		}
	}
	v, err := strconv.ParseInt(q, 10, 64)
	if err != nil {
		t.Fatalf("memory quantity %q: only Ki, Mi, Gi or bytes are followed by this test", q)
	}
	return v
}

func probesOnAdmin(c container, resolve func(string) string, adminPort string) string {
	for name, p := range map[string]*probe{"readinessProbe": c.ReadinessProbe, "livenessProbe": c.LivenessProbe, "startupProbe": c.StartupProbe} {
		if p == nil {
			continue
		}
		if p.HTTPGet == nil {
			return name + " is not an httpGet probe"
		}
		if got := resolve(p.HTTPGet.Port); got != adminPort {
			return fmt.Sprintf("%s on port %s (%s), the admin listener is on %s", name, p.HTTPGet.Port, got, adminPort)
		}
	}
	return ""
}

func serviceExposes(s service, resolve func(string) string, publicPort string) string {
	for _, p := range s.Spec.Ports {
		if resolve(p.TargetPort) == publicPort {
			return ""
		}
	}
	return fmt.Sprintf("no Service port targets the public port %s", publicPort)
}

func serviceHides(s service, resolve func(string) string, adminPort string) string {
	for _, p := range s.Spec.Ports {
		target := p.TargetPort
		if target == "" { // the Service's default: the same number as port
			target = strconv.Itoa(p.Port)
		}
		if resolve(target) == adminPort {
			return fmt.Sprintf("Service port %d reaches the admin listener (%s): POST /reload would be public", p.Port, adminPort)
		}
	}
	return ""
}

// rulesMounted checks that the -rules file is the ConfigMap's key in a
// directory mount of it (a subPath mount is never updated).
func rulesMounted(m manifests, c container, dir, key string) string {
	volume := ""
	for _, v := range m.deployment.Spec.Template.Spec.Volumes {
		if v.ConfigMap != nil && v.ConfigMap.Name == m.configMap.Metadata.Name {
			if len(v.ConfigMap.Items) > 0 {
				return "the ConfigMap volume lists items: mount every key as it is"
			}
			volume = v.Name
		}
	}
	if volume == "" {
		return "no volume mounts ConfigMap " + m.configMap.Metadata.Name
	}
	for _, vm := range c.VolumeMounts {
		if vm.Name != volume {
			continue
		}
		switch {
		case vm.SubPath != "":
			return "the rules are mounted with subPath: the kubelet never updates such a mount"
		case path.Clean(vm.MountPath) != path.Clean(dir):
			return fmt.Sprintf("-rules %s%s is not in the mount %s", dir, key, vm.MountPath)
		case m.configMap.Data[key] == "":
			return fmt.Sprintf("ConfigMap %s has no key %q (the -rules file name)", m.configMap.Metadata.Name, key)
		}
		return ""
	}
	return "the container does not mount volume " + volume
}

// tlsMounted checks that each -tls-cert and -tls-key pair is the tls.crt
// and tls.key (the keys of a kubernetes.io/tls Secret) of one read-only
// directory mount of a Secret: a subPath mount is never updated, so a
// renewal would never reach the pod.
func tlsMounted(m manifests, c container, inv invocation) string {
	certFiles, keyFiles := inv.all["tls-cert"], inv.all["tls-key"]
	if len(certFiles) == 0 || len(certFiles) != len(keyFiles) {
		return fmt.Sprintf("-tls-cert %q, -tls-key %q: want one or more pairs", certFiles, keyFiles)
	}
	secrets := map[string]string{} // volume name -> Secret name
	for _, v := range m.deployment.Spec.Template.Spec.Volumes {
		if v.Secret != nil {
			if len(v.Secret.Items) > 0 {
				return "Secret volume " + v.Name + " lists items: mount tls.crt and tls.key as they are"
			}
			secrets[v.Name] = v.Secret.SecretName
		}
	}
	for i, certFile := range certFiles {
		dir, certKey := path.Split(certFile)
		keyDir, keyKey := path.Split(keyFiles[i])
		if path.Clean(dir) != path.Clean(keyDir) {
			return fmt.Sprintf("-tls-cert %s and -tls-key %s lie in different directories, not one Secret's mount", certFile, keyFiles[i])
		}
		if certKey != "tls.crt" || keyKey != "tls.key" {
			return fmt.Sprintf("-tls-cert %s -tls-key %s: a kubernetes.io/tls Secret's keys are tls.crt and tls.key", certFile, keyFiles[i])
		}
		found := false
		for _, vm := range c.VolumeMounts {
			if path.Clean(vm.MountPath) != path.Clean(dir) {
				continue
			}
			switch {
			case secrets[vm.Name] == "":
				return fmt.Sprintf("the volume %s mounted at %s is not a Secret", vm.Name, vm.MountPath)
			case vm.SubPath != "":
				return "the certificate is mounted with subPath: the kubelet never updates such a mount"
			case !vm.ReadOnly:
				return "the certificate's mount " + vm.MountPath + " is not readOnly"
			}
			found = true
		}
		if !found {
			return fmt.Sprintf("no volume is mounted at %s, the directory of -tls-cert %s", dir, certFile)
		}
	}
	return ""
}

// unless returns the message when ok is false.
func unless(ok bool, format string, args ...any) string {
	if ok {
		return ""
	}
	return fmt.Sprintf(format, args...)
}

func subset(sel, labels map[string]string) bool {
	for k, v := range sel {
		if labels[k] != v {
			return false
		}
	}
	return len(sel) > 0
}

func mapsValues(m map[string]string) []string {
	var out []string
	for _, v := range m {
		out = append(out, v)
	}
	return out
}

func isTrue(b *bool) bool { return b != nil && *b }

func deref(u *uint32) uint32 {
	if u == nil {
		return 0
	}
	return *u
}
