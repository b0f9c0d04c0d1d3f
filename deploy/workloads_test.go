package deploy

import (
	"fmt"
	"path"
	"slices"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/piiscan/piiscan/config"
	"github.com/piiscan/piiscan/scanners/source"
)

// A workload is a Deployment or CronJob whose pods run piiscan jobs.
type workload struct {
	name string
	spec *corev1.PodSpec
	job  *batchv1.JobSpec // nil for the daemon
}

// container returns the workload's piiscan container.
func (w workload) container() *corev1.Container { return &w.spec.Containers[0] }

// jobs returns the jobs of the ConfigMap the workload runs: the daemon
// every job with a schedule, a CronJob the job of its `run JOB`.
func (w workload) jobs(t *testing.T, s *manifestSet) []*config.Job {
	t.Helper()
	if w.job == nil {
		var out []*config.Job
		for _, j := range s.rules.Jobs {
			if j.Schedule != nil {
				out = append(out, j)
			}
		}
		return out
	}
	return []*config.Job{jobArg(t, s, w.name, w.container().Args)}
}

func workloads(t *testing.T, s *manifestSet) []workload {
	t.Helper()
	var out []workload
	for _, d := range find[*appsv1.Deployment](s.objs) {
		out = append(out, workload{name: "Deployment " + d.Name, spec: &d.Spec.Template.Spec})
	}
	for _, cj := range find[*batchv1.CronJob](s.objs) {
		js := &cj.Spec.JobTemplate.Spec
		out = append(out, workload{name: "CronJob " + cj.Name, spec: &js.Template.Spec, job: js})
	}
	for _, j := range find[*batchv1.Job](s.objs) {
		out = append(out, workload{name: "Job " + j.Name, spec: &j.Spec.Template.Spec, job: &j.Spec})
	}
	if len(out) == 0 {
		t.Fatal("no workloads")
	}
	for _, w := range out {
		if len(w.spec.Containers) != 1 {
			t.Fatalf("%s: want one container", w.name)
		}
	}
	return out
}

func envVar(c *corev1.Container, name string) *corev1.EnvVar {
	for i := range c.Env {
		if c.Env[i].Name == name {
			return &c.Env[i]
		}
	}
	return nil
}

// A pod whose Secret, or whose key in it, is missing must not start: it
// would make a fingerprint key of its own, and every violation would look
// new to the alerting (and the state would refuse it).
func TestFingerprintKeyNotOptional(t *testing.T) {
	s := loadSet(t)
	for _, w := range workloads(t, s) {
		c := w.container()
		e := envVar(c, "PIISCAN_FINGERPRINT_KEY")
		if e == nil || e.ValueFrom == nil || e.ValueFrom.SecretKeyRef == nil {
			t.Errorf("%s: PIISCAN_FINGERPRINT_KEY must come from a secretKeyRef (a key missing from an envFrom Secret is silently left out)", w.name)
			continue
		}
		ref := e.ValueFrom.SecretKeyRef
		if ref.Optional == nil || *ref.Optional {
			t.Errorf("%s: the fingerprint key's secretKeyRef must say optional: false", w.name)
		}
		if sec := s.secrets[ref.Name]; sec == nil || sec.StringData[ref.Key] == "" && len(sec.Data[ref.Key]) == 0 {
			t.Errorf("%s: Secret %s has no key %s", w.name, ref.Name, ref.Key)
		}
		for _, ef := range c.EnvFrom {
			if ef.SecretRef != nil && (ef.SecretRef.Optional == nil || *ef.SecretRef.Optional) {
				t.Errorf("%s: envFrom Secret %s must say optional: false", w.name, ef.SecretRef.Name)
			}
		}
	}
}

// Every job runs in exactly one place, and every place that runs jobs
// keeps its state on a volume no other workload mounts: `run` exits 2 at
// once when another piiscan holds the state, and two states alert the
// same violations twice.
func TestOneRunnerPerJob(t *testing.T) {
	s := loadSet(t)
	runners := map[string][]string{}
	claims := map[string][]string{}
	if dir := path.Dir(s.rules.StatePath()); dir != dataDir {
		t.Errorf("state.path %s must be in %s, the workloads' own volume", s.rules.StatePath(), dataDir)
	}
	for _, w := range workloads(t, s) {
		jobs := w.jobs(t, s)
		for _, j := range jobs {
			runners[j.Name] = append(runners[j.Name], w.name)
			if w.job != nil && j.Schedule != nil {
				t.Errorf("%s runs job %s, which has a schedule: the daemon runs it too (schedule: manual)", w.name, j.Name)
			}
		}
		vol := stateVolume(w)
		switch {
		case vol == nil:
			t.Errorf("%s: nothing is mounted at %s", w.name, dataDir)
		case vol.PersistentVolumeClaim != nil:
			claims[vol.PersistentVolumeClaim.ClaimName] = append(claims[vol.PersistentVolumeClaim.ClaimName], w.name)
		case vol.EmptyDir == nil:
			t.Errorf("%s: %s must be a PersistentVolumeClaim of its own or an emptyDir", w.name, dataDir)
		}
	}
	for _, j := range s.rules.Jobs {
		if len(runners[j.Name]) != 1 {
			t.Errorf("job %s is run by %d workloads %v, want 1", j.Name, len(runners[j.Name]), runners[j.Name])
		}
	}
	for claim, ws := range claims {
		if len(ws) > 1 {
			t.Errorf("%v share claim %s as their state: give each its own", ws, claim)
		}
	}
}

// stateVolume returns the volume mounted at the data directory.
func stateVolume(w workload) *corev1.Volume {
	for _, m := range w.container().VolumeMounts {
		if m.MountPath != dataDir {
			continue
		}
		for i := range w.spec.Volumes {
			if w.spec.Volumes[i].Name == m.Name {
				return &w.spec.Volumes[i]
			}
		}
	}
	return nil
}

// startup is what a Job's pod may take beyond its job's timeout and
// grace period: scheduling, pulling the image, waiting for the state's
// lock (run --wait-lock, 1m by default).
const startup = 2 * time.Minute

// Kubernetes' deadline must come after piiscan's own timeout and the
// grace period: then piiscan stops first, saves how far it got and says
// why, instead of being killed in the middle of its work. Disruptions
// (drains, preemption) are not the run's failures.
func TestJobDeadlines(t *testing.T) {
	s := loadSet(t)
	for _, w := range workloads(t, s) {
		if w.job == nil {
			continue
		}
		job := w.jobs(t, s)[0]
		grace := 30 * time.Second // Kubernetes' default
		if p := w.spec.TerminationGracePeriodSeconds; p == nil || *p < 30 {
			t.Errorf("%s: set terminationGracePeriodSeconds (at least 30): the run saves its progress on SIGTERM", w.name)
		} else {
			grace = time.Duration(*p) * time.Second
		}
		if job.Timeout == 0 {
			t.Errorf("%s: job %s has no timeout: Kubernetes' deadline would stop it", w.name, job.Name)
			continue
		}
		if w.job.ActiveDeadlineSeconds == nil {
			t.Errorf("%s: no activeDeadlineSeconds", w.name)
			continue
		}
		deadline := time.Duration(*w.job.ActiveDeadlineSeconds) * time.Second
		if want := job.Timeout + grace + startup; deadline < want {
			t.Errorf("%s: activeDeadlineSeconds %s fires before job %s's timeout %s, the grace period %s and %s to start (%s)",
				w.name, deadline, job.Name, job.Timeout, grace, startup, want)
		}

		pfp := w.job.PodFailurePolicy
		if pfp == nil || len(pfp.Rules) == 0 || pfp.Rules[0].Action != batchv1.PodFailurePolicyActionIgnore ||
			!slices.ContainsFunc(pfp.Rules[0].OnPodConditions, func(c batchv1.PodFailurePolicyOnPodConditionsPattern) bool {
				return c.Type == corev1.DisruptionTarget && (c.Status == "" || c.Status == corev1.ConditionTrue)
			}) {
			t.Errorf("%s: the first podFailurePolicy rule must Ignore the DisruptionTarget condition (a drain must not use up the retries)", w.name)
		}
	}
}

// Every pod's volumes may grow only as far as the node allows it, and
// /tmp has room for what piiscan spools there.
func TestPodStorage(t *testing.T) {
	s := loadSet(t)
	maxSpool := source.Limits{}.WithDefaults().MaxSpool
	const maxPut = 5 << 30 // retention: the largest object one PUT may store
	const spare = 1 << 30
	for _, w := range workloads(t, s) {
		psc := w.spec.SecurityContext
		if psc != nil && psc.FSGroup != nil && (psc.FSGroupChangePolicy == nil || *psc.FSGroupChangePolicy != corev1.FSGroupChangeOnRootMismatch) {
			t.Errorf("%s: fsGroup without fsGroupChangePolicy: OnRootMismatch changes every file of the volumes at every start", w.name)
		}

		var sum resource.Quantity
		var tmp *resource.Quantity
		for _, v := range w.spec.Volumes {
			if v.EmptyDir == nil {
				continue
			}
			if v.EmptyDir.SizeLimit == nil {
				t.Errorf("%s: emptyDir %s has no sizeLimit", w.name, v.Name)
				continue
			}
			sum.Add(*v.EmptyDir.SizeLimit)
			for _, m := range w.container().VolumeMounts {
				if m.Name == v.Name && m.MountPath == "/tmp" {
					tmp = v.EmptyDir.SizeLimit
				}
			}
		}
		res := w.container().Resources
		req, lim := res.Requests[corev1.ResourceEphemeralStorage], res.Limits[corev1.ResourceEphemeralStorage]
		lo, hi := sum.DeepCopy(), sum.DeepCopy()
		lo.Add(resource.MustParse("256Mi")) // the container's logs
		hi.Add(resource.MustParse("1Gi"))
		if lim.Cmp(lo) < 0 || lim.Cmp(hi) > 0 {
			t.Errorf("%s: limits.ephemeral-storage %s must match the emptyDirs' sizeLimits (%s) and the logs: between %s and %s", w.name, lim.String(), sum.String(), lo.String(), hi.String())
		}
		if req.IsZero() || req.Cmp(lim) > 0 {
			t.Errorf("%s: requests.ephemeral-storage %s must be set, at most the limit", w.name, req.String())
		}

		// What the workload's jobs may spool at once: a zip from a bucket
		// or from inside another archive for a scan; an object being
		// rewritten (after the plan's scan) for purge and redact.
		var need int64 = spare
		var why []string
		for _, j := range w.jobs(t, s) {
			n := maxSpool
			if j.Action != config.JobScan {
				n = max(maxSpool, maxPut)
			}
			need += n
			why = append(why, fmt.Sprintf("%s %dGiB", j.Name, n>>30))
		}
		if tmp == nil {
			t.Errorf("%s: /tmp is not an emptyDir", w.name)
		} else if tmp.Value() < need {
			t.Errorf("%s: /tmp's sizeLimit %s is below what its jobs may spool at once and 1GiB to spare (%s): %dGiB", w.name, tmp.String(), strings.Join(why, ", "), need>>30)
		}
	}
}

// GOMEMLIMIT is not copied by hand next to the memory limit: piiscan
// derives the Go heap's soft limit from the limit the downward API gives.
func TestMemoryLimit(t *testing.T) {
	s := loadSet(t)
	for _, w := range workloads(t, s) {
		c := w.container()
		if e := envVar(c, "GOMEMLIMIT"); e != nil {
			t.Errorf("%s: GOMEMLIMIT %q is a copy of the memory limit that goes stale; set PIISCAN_MEMORY_LIMIT from limits.memory", w.name, e.Value)
		}
		e := envVar(c, "PIISCAN_MEMORY_LIMIT")
		if e == nil || e.ValueFrom == nil || e.ValueFrom.ResourceFieldRef == nil || e.ValueFrom.ResourceFieldRef.Resource != "limits.memory" ||
			e.ValueFrom.ResourceFieldRef.ContainerName != "" && e.ValueFrom.ResourceFieldRef.ContainerName != c.Name {
			t.Errorf("%s: PIISCAN_MEMORY_LIMIT must come from the container's limits.memory (resourceFieldRef)", w.name)
			continue
		}
		// In bytes: piiscan reads a plain number.
		if d := e.ValueFrom.ResourceFieldRef.Divisor; !d.IsZero() && d.Cmp(resource.MustParse("1")) != 0 {
			t.Errorf("%s: PIISCAN_MEMORY_LIMIT's divisor %s: want 1 (bytes)", w.name, d.String())
		}
		if lim := c.Resources.Limits[corev1.ResourceMemory]; lim.IsZero() {
			t.Errorf("%s: no memory limit to derive it from", w.name)
		}
	}
}
