package deploy_test

import (
	"encoding/json"
	"fmt"
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
// the probes and the Service name, the ConfigMap's mount against -rules;
// then runs the binary with the container's args on the ConfigMap laid out
// as the kubelet does, GETs each probe's path, and edits the ConfigMap.
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
	rulesDir, rulesKey := path.Split(inv.values["rules"])

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
		{"the Service exposes the public port", serviceExposes(m.service, resolve, publicPort)},
		{"the Service does not expose the admin port", serviceHides(m.service, resolve, adminPort)},
		{"runAsNonRoot", unless(isTrue(c.SecurityContext.RunAsNonRoot) || isTrue(pod.SecurityContext.RunAsNonRoot), "runAsNonRoot is not set")},
		{"runAsUser is the image's USER", unless(pod.SecurityContext.RunAsUser == nil || *pod.SecurityContext.RunAsUser == img.uid, "runAsUser %d, image USER %d", deref(pod.SecurityContext.RunAsUser), img.uid)},
		{"readOnlyRootFilesystem", unless(isTrue(c.SecurityContext.ReadOnlyRootFilesystem), "readOnlyRootFilesystem is not true")},
		{"no privilege escalation", unless(c.SecurityContext.AllowPrivilegeEscalation != nil && !*c.SecurityContext.AllowPrivilegeEscalation, "allowPrivilegeEscalation is not false")},
		{"all capabilities dropped", unless(slices.Contains(c.SecurityContext.Capabilities.Drop, "ALL") && len(c.SecurityContext.Capabilities.Add) == 0, "capabilities %+v", c.SecurityContext.Capabilities)},
		{"resource requests and a memory limit", unless(c.Resources.Requests["cpu"] != "" && c.Resources.Requests["memory"] != "" && c.Resources.Limits["memory"] != "", "resources %+v", c.Resources)},
		{"the grace period outlasts the drain", unless(pod.TerminationGracePeriodSeconds != nil && time.Duration(*pod.TerminationGracePeriodSeconds)*time.Second > edge.ShutdownTimeout, "terminationGracePeriodSeconds %v, drain bound %v", pod.TerminationGracePeriodSeconds, edge.ShutdownTimeout)},
		{"-rules lies in the ConfigMap's mount", rulesMounted(m, c, rulesDir, rulesKey)},
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
		mountConfigMap(t, filepath.Join(root, rulesDir), m.configMap.Data)
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
			args: slices.Concat(img.entrypoint[:1], withAddrs(img.args(c.Args), loopback)),
		})
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
		// An edited ConfigMap: the kubelet writes a new timestamped
		// directory and renames a new ..data over the old.
		edited := "..2025_01_01_00_01_00.000000001"
		dir := filepath.Join(root, rulesDir)
		data := m.configMap.Data[rulesKey] + "\n[[rule]]\nname = \"added\"\npaths = [\"/added/\"]\norigins = [\"*\"]\n"
		if err := os.Mkdir(filepath.Join(dir, edited), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, edited, rulesKey), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(edited, filepath.Join(dir, "..data_tmp")); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(filepath.Join(dir, "..data_tmp"), filepath.Join(dir, "..data")); err != nil {
			t.Fatal(err)
		}
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
	})
}

// mountConfigMap lays out data in dir as the kubelet does for a ConfigMap
// volume: the files in a timestamped directory, ..data a symlink to it, and
// each key a symlink through ..data.
func mountConfigMap(t *testing.T, dir string, data map[string]string) {
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
