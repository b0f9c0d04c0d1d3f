package deploy

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	k8sjson "sigs.k8s.io/json"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/piiscan/piiscan/config"
)

const manifests = "kubernetes"

// object is one decoded manifest.
type object struct {
	file string
	obj  any
}

// decoders make an empty typed object for each kind the manifests use.
var decoders = map[string]func() any{
	"v1/Namespace":             func() any { return &corev1.Namespace{} },
	"v1/ServiceAccount":        func() any { return &corev1.ServiceAccount{} },
	"v1/ConfigMap":             func() any { return &corev1.ConfigMap{} },
	"v1/Secret":                func() any { return &corev1.Secret{} },
	"v1/PersistentVolumeClaim": func() any { return &corev1.PersistentVolumeClaim{} },
	"v1/Service":               func() any { return &corev1.Service{} },
	"apps/v1/Deployment":       func() any { return &appsv1.Deployment{} },
	"batch/v1/CronJob":         func() any { return &batchv1.CronJob{} },
	"batch/v1/Job":             func() any { return &batchv1.Job{} },
}

// loadManifests decodes every document of every manifest strictly: an
// unknown or misspelt field, a wrong type or a bad quantity fails.
func loadManifests(t *testing.T) []object {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(manifests, "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no manifests: %v", err)
	}
	var out []object
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for i, doc := range regexp.MustCompile(`(?m)^---\s*$`).Split(string(b), -1) {
			if strings.TrimSpace(stripComments(doc)) == "" {
				continue
			}
			var tm struct {
				APIVersion string `json:"apiVersion"`
				Kind       string `json:"kind"`
			}
			if err := sigsyaml.Unmarshal([]byte(doc), &tm); err != nil {
				t.Fatalf("%s[%d]: %v", f, i, err)
			}
			mk, ok := decoders[tm.APIVersion+"/"+tm.Kind]
			if !ok {
				t.Fatalf("%s[%d]: unexpected %s %s", f, i, tm.APIVersion, tm.Kind)
			}
			obj := mk()
			if err := decodeStrict([]byte(doc), obj); err != nil {
				t.Fatalf("%s[%d] (%s): %v", f, i, tm.Kind, err)
			}
			out = append(out, object{file: filepath.Base(f), obj: obj})
		}
	}
	return out
}

// decodeStrict decodes a manifest as the API server's strict field
// validation does: field names are case-sensitive, and unknown or
// duplicate fields are errors.
func decodeStrict(doc []byte, obj any) error {
	js, err := sigsyaml.YAMLToJSONStrict(doc)
	if err != nil {
		return err
	}
	strict, err := k8sjson.UnmarshalStrict(js, obj)
	if err != nil {
		return err
	}
	return errors.Join(strict...)
}

func stripComments(doc string) string {
	var b strings.Builder
	for _, l := range strings.Split(doc, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(l), "#") {
			b.WriteString(l + "\n")
		}
	}
	return b.String()
}

func find[T any](objs []object) []T {
	var out []T
	for _, o := range objs {
		if x, ok := o.obj.(T); ok {
			out = append(out, x)
		}
	}
	return out
}

// manifestSet is everything the workloads refer to.
type manifestSet struct {
	objs       []object
	configMaps map[string]*corev1.ConfigMap
	secrets    map[string]*corev1.Secret
	accounts   map[string]*corev1.ServiceAccount
	claims     map[string]bool
	rules      *config.Config
}

func loadSet(t *testing.T) *manifestSet {
	s := &manifestSet{objs: loadManifests(t), configMaps: map[string]*corev1.ConfigMap{}, secrets: map[string]*corev1.Secret{},
		accounts: map[string]*corev1.ServiceAccount{}, claims: map[string]bool{}}
	for _, o := range s.objs {
		switch x := o.obj.(type) {
		case *corev1.ConfigMap:
			s.configMaps[x.Name] = x
		case *corev1.Secret:
			s.secrets[x.Name] = x
		case *corev1.ServiceAccount:
			s.accounts[x.Name] = x
		case *corev1.PersistentVolumeClaim:
			s.claims[x.Name] = true
		}
	}
	cm := s.configMaps["piiscan-rules"]
	if cm == nil {
		t.Fatal("no ConfigMap piiscan-rules")
	}
	// What the ConfigMap says, not this machine's environment.
	t.Setenv(config.ListenEnv, "")
	c, err := config.Parse("configmap.yaml rules.yaml", []byte(cm.Data["rules.yaml"]))
	if err != nil {
		t.Fatalf("the ConfigMap's rules.yaml: %v", err)
	}
	s.rules = c
	return s
}

func TestManifestsDecodeStrictly(t *testing.T) {
	s := loadSet(t)
	kinds := map[string]int{}
	for _, o := range s.objs {
		kinds[fmt.Sprintf("%T", o.obj)]++
	}
	for _, want := range []string{"*v1.CronJob", "*v1.Deployment", "*v1.ConfigMap", "*v1.Secret", "*v1.ServiceAccount"} {
		if kinds[want] == 0 {
			t.Errorf("no %s among the manifests", want)
		}
	}
	// Typos are caught: the strict decoder is what the test relies on.
	for _, bad := range []string{
		"spec:\n  concurencyPolicy: Forbid\n",
		"spec:\n  concurrencypolicy: Forbid\n", // case matters
		"spec:\n  schedule: a\n  schedule: b\n",
		"spec:\n  jobTemplate:\n    spec:\n      template:\n        spec:\n          containers:\n            - name: x\n              resources: {limits: {memory: 1Gigabyte}}\n",
	} {
		if err := decodeStrict([]byte("apiVersion: batch/v1\nkind: CronJob\n"+bad), &batchv1.CronJob{}); err == nil {
			t.Errorf("decoded: %q", bad)
		}
	}
	for _, o := range s.objs {
		if m, ok := o.obj.(interface{ GetNamespace() string }); ok {
			if _, ns := o.obj.(*corev1.Namespace); !ns && m.GetNamespace() != "piiscan" {
				t.Errorf("%s: %T in namespace %q, want piiscan", o.file, o.obj, m.GetNamespace())
			}
		}
	}
}

// The ConfigMap's policy is the default policy: only where it applies
// (locations, jobs, alerts, state, daemon, shards) may differ.
func TestConfigMapPolicyIsTheDefault(t *testing.T) {
	s := loadSet(t)
	def, err := os.ReadFile(filepath.Join(repo, "rules.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var a, b map[string]any
	if err := yaml.Unmarshal(def, &a); err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal([]byte(s.configMaps["piiscan-rules"].Data["rules.yaml"]), &b); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"version", "detection", "archives", "policies", "rules", "allow", "holds", "enforcement"} {
		x, _ := yaml.Marshal(a[k])
		y, _ := yaml.Marshal(b[k])
		if !bytes.Equal(x, y) {
			t.Errorf("the ConfigMap's %s differs from rules.yaml's; copy it over", k)
		}
	}
	if s.rules.Listen() == config.DefaultListen {
		t.Error("the ConfigMap's daemon listens on localhost only: probes cannot reach it")
	}
}

// podChecks are the checks every piiscan pod passes.
func podChecks(t *testing.T, s *manifestSet, name string, spec *corev1.PodSpec) *corev1.Container {
	t.Helper()
	if len(spec.Containers) != 1 {
		t.Fatalf("%s: want one container", name)
	}
	c := &spec.Containers[0]
	if spec.ServiceAccountName == "" || s.accounts[spec.ServiceAccountName] == nil {
		t.Errorf("%s: service account %q is not among the manifests", name, spec.ServiceAccountName)
	}
	if spec.AutomountServiceAccountToken == nil || *spec.AutomountServiceAccountToken {
		t.Errorf("%s: piiscan needs no Kubernetes API token", name)
	}
	psc := spec.SecurityContext
	uid, _ := strconv.ParseInt(runAsUser, 10, 64)
	if psc == nil || psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot || psc.RunAsUser == nil || *psc.RunAsUser != uid ||
		psc.FSGroup == nil || *psc.FSGroup != uid || psc.SeccompProfile == nil || psc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
		t.Errorf("%s: pod securityContext must run as non-root user %s (the image's), fsGroup %s, seccomp RuntimeDefault", name, runAsUser, runAsUser)
	}
	sc := c.SecurityContext
	if sc == nil || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem ||
		sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation ||
		sc.Capabilities == nil || !slices.Equal(sc.Capabilities.Drop, []corev1.Capability{"ALL"}) || len(sc.Capabilities.Add) > 0 {
		t.Errorf("%s: container securityContext must set readOnlyRootFilesystem, no privilege escalation, drop ALL", name)
	}
	for _, r := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
		req, lim := c.Resources.Requests[r], c.Resources.Limits[r]
		if req.IsZero() || lim.IsZero() || req.Cmp(lim) > 0 {
			t.Errorf("%s: %s requests and limits must be set, requests ≤ limits", name, r)
		}
	}
	if !strings.Contains(c.Image, "/piiscan:") || strings.HasSuffix(c.Image, ":latest") {
		t.Errorf("%s: image %q: want a pinned piiscan image", name, c.Image)
	}
	if len(c.Command) > 0 {
		t.Errorf("%s: command overrides the image's ENTRYPOINT; set args", name)
	}

	// Volumes: mounts name defined volumes; the read-only root needs the
	// data directory and /tmp writable; the policy comes from the
	// ConfigMap as a directory (subPath mounts never see updates).
	vols := map[string]corev1.Volume{}
	for _, v := range spec.Volumes {
		vols[v.Name] = v
	}
	mounts := map[string]corev1.VolumeMount{}
	for _, m := range c.VolumeMounts {
		v, ok := vols[m.Name]
		if !ok {
			t.Errorf("%s: mount %s names no volume", name, m.Name)
		}
		mounts[m.MountPath] = m
		if m.MountPath == dataDir && v.PersistentVolumeClaim != nil && !s.claims[v.PersistentVolumeClaim.ClaimName] {
			t.Errorf("%s: claim %s is not among the manifests", name, v.PersistentVolumeClaim.ClaimName)
		}
	}
	for _, p := range []string{dataDir, "/tmp"} {
		if m, ok := mounts[p]; !ok || m.ReadOnly {
			t.Errorf("%s: %s must be a writable volume (the root file system is read-only)", name, p)
		}
	}
	rules, ok := mounts[filepath.Dir(rulesPath)]
	if !ok || rules.SubPath != "" || vols[rules.Name].ConfigMap == nil || s.configMaps[vols[rules.Name].ConfigMap.Name] == nil {
		t.Errorf("%s: mount the piiscan-rules ConfigMap as the directory %s", name, filepath.Dir(rulesPath))
	}

	// Secrets: every secret the policy reads from the environment comes
	// from the Secret.
	env := map[string]corev1.EnvVar{}
	for _, e := range c.Env {
		env[e.Name] = e
	}
	provided := map[string]bool{}
	for _, ef := range c.EnvFrom {
		if ef.SecretRef != nil {
			sec := s.secrets[ef.SecretRef.Name]
			if sec == nil {
				t.Fatalf("%s: Secret %s is not among the manifests", name, ef.SecretRef.Name)
			}
			for k := range sec.StringData {
				provided[k] = true
			}
		}
	}
	needed := []string{"PIISCAN_FINGERPRINT_KEY"}
	for _, r := range s.rules.Routes {
		if r.Webhook != nil && r.Webhook.SecretEnv != "" {
			needed = append(needed, r.Webhook.SecretEnv)
		}
		if r.Email != nil && r.Email.PasswordEnv != "" {
			needed = append(needed, r.Email.PasswordEnv)
		}
		if r.Slack != nil && r.Slack.URLEnv != "" {
			needed = append(needed, r.Slack.URLEnv)
		}
	}
	for _, k := range needed {
		if !provided[k] {
			t.Errorf("%s: %s is not provided by a Secret", name, k)
		}
	}
	if w, ok := env["PIISCAN_WORKERS"]; !ok || w.ValueFrom == nil || w.ValueFrom.ResourceFieldRef == nil || w.ValueFrom.ResourceFieldRef.Resource != "limits.cpu" {
		t.Errorf("%s: PIISCAN_WORKERS should follow limits.cpu", name)
	}
	return c
}

// jobArg checks that args run a job of the ConfigMap's policy.
func jobArg(t *testing.T, s *manifestSet, name string, args []string) *config.Job {
	t.Helper()
	if len(args) < 2 || args[0] != "run" {
		t.Fatalf("%s: args %v, want [run JOB]", name, args)
	}
	job := s.rules.JobByName(args[1])
	if job == nil {
		t.Fatalf("%s: job %q is not in the ConfigMap's rules.yaml", name, args[1])
	}
	return job
}

func TestCronJob(t *testing.T) {
	s := loadSet(t)
	var n int
	for _, cj := range find[*batchv1.CronJob](s.objs) {
		if cj.Spec.JobTemplate.Spec.CompletionMode != nil {
			continue // the sharded audit
		}
		n++
		name := "CronJob " + cj.Name
		if cj.Spec.ConcurrencyPolicy != batchv1.ForbidConcurrent {
			t.Errorf("%s: concurrencyPolicy must be Forbid (runs share the state)", name)
		}
		if cj.Spec.SuccessfulJobsHistoryLimit == nil || cj.Spec.FailedJobsHistoryLimit == nil || cj.Spec.StartingDeadlineSeconds == nil {
			t.Errorf("%s: set history limits and a starting deadline", name)
		}
		tpl := cj.Spec.JobTemplate.Spec.Template.Spec
		if tpl.RestartPolicy != corev1.RestartPolicyNever {
			t.Errorf("%s: restartPolicy Never: the next run resumes", name)
		}
		c := podChecks(t, s, name, &tpl)
		jobArg(t, s, name, c.Args)
	}
	if n == 0 {
		t.Fatal("no CronJob running piiscan run JOB")
	}
}

func TestDaemonDeployment(t *testing.T) {
	s := loadSet(t)
	deps := find[*appsv1.Deployment](s.objs)
	if len(deps) != 1 {
		t.Fatalf("want one Deployment, got %d", len(deps))
	}
	d := deps[0]
	name := "Deployment " + d.Name
	if d.Spec.Replicas == nil || *d.Spec.Replicas != 1 || d.Spec.Strategy.Type != appsv1.RecreateDeploymentStrategyType {
		t.Errorf("%s: one replica and Recreate: the state has one writer", name)
	}
	spec := d.Spec.Template.Spec
	c := podChecks(t, s, name, &spec)
	if !slices.Equal(c.Args, []string{"daemon"}) {
		t.Errorf("%s: args %v, want [daemon]", name, c.Args)
	}
	var port *corev1.ContainerPort
	for i := range c.Ports {
		if c.Ports[i].Name == "metrics" {
			port = &c.Ports[i]
		}
	}
	_, listenPort, _ := strings.Cut(s.rules.Listen(), ":")
	if port == nil || strconv.Itoa(int(port.ContainerPort)) != metricPort || listenPort != metricPort {
		t.Fatalf("%s: the container port named metrics must be %s, where the daemon listens (%s)", name, metricPort, s.rules.Listen())
	}
	for probe, path := range map[*corev1.Probe]string{c.LivenessProbe: "/healthz", c.ReadinessProbe: "/readyz"} {
		if probe == nil || probe.HTTPGet == nil || probe.HTTPGet.Path != path || probe.HTTPGet.Port.String() != "metrics" {
			t.Errorf("%s: want an HTTP probe of %s on port metrics", name, path)
		}
	}
	ann := d.Spec.Template.Annotations
	if ann["prometheus.io/scrape"] != "true" || ann["prometheus.io/port"] != metricPort || ann["prometheus.io/path"] != "/metrics" {
		t.Errorf("%s: Prometheus scrape annotations %v", name, ann)
	}
	grace := time.Duration(0)
	if spec.TerminationGracePeriodSeconds != nil {
		grace = time.Duration(*spec.TerminationGracePeriodSeconds) * time.Second
	}
	if grace <= s.rules.GracePeriod() {
		t.Errorf("%s: terminationGracePeriodSeconds (%s) must exceed daemon.grace_period (%s)", name, grace, s.rules.GracePeriod())
	}
	for _, svc := range find[*corev1.Service](s.objs) {
		for k, v := range svc.Spec.Selector {
			if d.Spec.Template.Labels[k] != v {
				t.Errorf("Service %s selects %s=%s, which the daemon's pods lack", svc.Name, k, v)
			}
		}
	}
}

func TestShardedAudit(t *testing.T) {
	s := loadSet(t)
	var found bool
	for _, cj := range find[*batchv1.CronJob](s.objs) {
		js := cj.Spec.JobTemplate.Spec
		if js.CompletionMode == nil {
			continue
		}
		found = true
		name := "CronJob " + cj.Name
		if *js.CompletionMode != batchv1.IndexedCompletion || js.Completions == nil || js.Parallelism == nil {
			t.Fatalf("%s: want an Indexed Job with completions and parallelism", name)
		}
		if cj.Spec.ConcurrencyPolicy != batchv1.ForbidConcurrent || cj.Spec.SuccessfulJobsHistoryLimit == nil || cj.Spec.FailedJobsHistoryLimit == nil {
			t.Errorf("%s: concurrencyPolicy Forbid and history limits", name)
		}
		if js.BackoffLimitPerIndex == nil {
			t.Errorf("%s: retry shards on their own (backoffLimitPerIndex)", name)
		}
		tpl := js.Template.Spec
		c := podChecks(t, s, name, &tpl)
		job := jobArg(t, s, name, c.Args)
		if job.Schedule != nil {
			t.Errorf("%s: job %s has a schedule: the daemon would run it unsharded too (use schedule: manual)", name, job.Name)
		}
		env := map[string]corev1.EnvVar{}
		for _, e := range c.Env {
			env[e.Name] = e
		}
		if got := env["PIISCAN_SHARD_COUNT"].Value; got != strconv.Itoa(int(*js.Completions)) {
			t.Errorf("%s: PIISCAN_SHARD_COUNT %q must equal completions %d", name, got, *js.Completions)
		}
		run := env["PIISCAN_RUN_ID"].ValueFrom
		if run == nil || run.FieldRef == nil || run.FieldRef.FieldPath != "metadata.labels['batch.kubernetes.io/controller-uid']" {
			t.Errorf("%s: PIISCAN_RUN_ID must be the Job's uid, one per run", name)
		}
		out, report := env["PIISCAN_SHARD_OUTPUT"].Value, env["PIISCAN_SHARD_REPORT"].Value
		if !strings.HasPrefix(out, "s3://") || !strings.Contains(out, "$(PIISCAN_RUN_ID)") || !strings.HasSuffix(out, "/") {
			t.Errorf("%s: PIISCAN_SHARD_OUTPUT %q: want an s3:// prefix of the run", name, out)
		}
		if !strings.Contains(report, "$(PIISCAN_RUN_ID)") {
			t.Errorf("%s: PIISCAN_SHARD_REPORT %q: want a report per run", name, report)
		}
		// $(VAR) only expands variables defined before it.
		order := map[string]int{}
		for i, e := range c.Env {
			order[e.Name] = i
		}
		if order["PIISCAN_RUN_ID"] > order["PIISCAN_SHARD_OUTPUT"] || order["PIISCAN_RUN_ID"] > order["PIISCAN_SHARD_REPORT"] {
			t.Errorf("%s: define PIISCAN_RUN_ID before the variables that use it", name)
		}
	}
	if !found {
		t.Fatal("no Indexed Job for sharded runs")
	}
}

func TestServiceAccountPodIdentity(t *testing.T) {
	s := loadSet(t)
	sa := s.accounts["piiscan"]
	if sa == nil {
		t.Fatal("no ServiceAccount piiscan")
	}
	if !regexp.MustCompile(`^arn:aws:iam::\d{12}:role/`).MatchString(sa.Annotations["eks.amazonaws.com/role-arn"]) {
		t.Errorf("the ServiceAccount shows no IRSA role annotation: %v", sa.Annotations)
	}
}
