// Package deploy_test reads the files of deploy/ with the libraries that
// read them in a deployment: the compose specification's loader, the
// Kubernetes API types, and Prometheus's own configuration, rule and
// PromQL packages. The package has test files only, so ekjon's binary
// links none of those libraries.
package deploy_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/types"
	"github.com/prometheus/common/model"
	promconfig "github.com/prometheus/prometheus/config"
	_ "github.com/prometheus/prometheus/discovery/kubernetes" // k8s/monitoring.yaml's kubernetes_sd_configs
	"github.com/prometheus/prometheus/model/rulefmt"
	promql "github.com/prometheus/prometheus/promql/parser"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
)

// settings returns the EKJON_* variables ekjon knows: the environment
// column of `ekjon settings`, run from the binary built as this test was.
func settings(t *testing.T) map[string]bool {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "ekjon")
	build := []string{"build", "-o", bin}
	// Built as this test binary was, the packages the suite compiled are
	// reused.
	if bi, ok := debug.ReadBuildInfo(); ok && slices.Contains(bi.Settings, debug.BuildSetting{Key: "-race", Value: "true"}) {
		build = append(build, "-race")
	}
	if out, err := exec.Command("go", append(build, "../cmd/ekjon")...).CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	out, err := exec.Command(bin, "settings").Output()
	if err != nil {
		t.Fatalf("ekjon settings: %v", err)
	}
	known := map[string]bool{"EKJON_CONFIG": true} // names the file of settings
	for _, f := range regexp.MustCompile(`(?m)^--\S+\s+(EKJON_\w+)`).FindAllStringSubmatch(string(out), -1) {
		known[f[1]] = true
	}
	if len(known) < 20 {
		t.Fatalf("ekjon settings lists %d variables:\n%s", len(known), out)
	}
	return known
}

// checkEnv fails for every EKJON_* variable in names that ekjon does not
// know.
func checkEnv(t *testing.T, known map[string]bool, where string, names []string) {
	t.Helper()
	for _, n := range names {
		if strings.HasPrefix(n, "EKJON_") && !known[n] {
			t.Errorf("%s sets %s, which is no setting of ekjon's (ekjon settings)", where, n)
		}
	}
}

func TestComposeFile(t *testing.T) {
	known := settings(t)
	abs, err := filepath.Abs("docker-compose.yml")
	if err != nil {
		t.Fatal(err)
	}
	body, err := os.ReadFile(abs)
	if err != nil {
		t.Fatal(err)
	}
	details := types.ConfigDetails{
		WorkingDir:  filepath.Dir(abs),
		ConfigFiles: []types.ConfigFile{{Filename: abs, Content: body}},
		// The file requires the secret from the environment.
		Environment: types.Mapping{"EKJON_HMAC_SECRET": "a secret of the operator's own"},
	}
	p, err := loader.LoadWithContext(context.Background(), details, func(o *loader.Options) { o.SetProjectName("ekjon", true) })
	if err != nil {
		t.Fatalf("compose file: %v", err)
	}
	for _, name := range []string{"kafka", "kafka-init", "redis", "postgres", "ekjon-1", "ekjon-2", "prometheus", "grafana"} {
		if _, ok := p.Services[name]; !ok {
			t.Errorf("compose file has no service %s", name)
		}
	}
	workers := 0
	for name, s := range p.Services {
		if !slices.Equal(s.Command, types.ShellCommand{"run"}) {
			continue
		}
		workers++
		var env []string
		for k := range s.Environment {
			env = append(env, k)
		}
		checkEnv(t, known, "compose service "+name, env)
		if v := s.Environment["EKJON_HMAC_SECRET"]; v == nil || *v != "a secret of the operator's own" {
			t.Errorf("compose service %s does not take the secret from the environment: %v", name, v)
		}
	}
	if workers < 2 {
		t.Errorf("compose file runs %d ekjon workers, want two in one group", workers)
	}
	// Every file it mounts is in deploy/.
	for name, s := range p.Services {
		for _, v := range s.Volumes {
			if v.Type != types.VolumeTypeBind {
				continue
			}
			if _, err := os.Stat(v.Source); err != nil {
				t.Errorf("compose service %s mounts %s: %v", name, v.Source, err)
			}
		}
	}
}

// manifest is one document of deploy/k8s/, decoded.
type manifest struct {
	kind string
	obj  runtime.Object
}

// manifests decodes every document of deploy/k8s/*.yaml into its typed
// Kubernetes object, refusing unknown fields.
func manifests(t *testing.T) []manifest {
	t.Helper()
	scheme := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{corev1.AddToScheme, appsv1.AddToScheme, batchv1.AddToScheme, rbacv1.AddToScheme} {
		if err := add(scheme); err != nil {
			t.Fatal(err)
		}
	}
	decode := serializer.NewCodecFactory(scheme, serializer.EnableStrict).UniversalDeserializer().Decode
	files, err := filepath.Glob("k8s/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no manifests in k8s/: %v", err)
	}
	var out []manifest
	for _, f := range files {
		body, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(body)))
		for i := 1; ; i++ {
			doc, err := r.Read()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("%s: document %d: %v", f, i, err)
			}
			if len(bytes.TrimSpace(doc)) == 0 {
				continue
			}
			obj, gvk, err := decode(doc, nil, nil)
			if err != nil {
				t.Errorf("%s: document %d: %v", f, i, err)
				continue
			}
			if gvk.Kind == "" {
				t.Errorf("%s: document %d has no kind", f, i)
			}
			out = append(out, manifest{gvk.Kind, obj})
		}
	}
	return out
}

func TestKubernetesManifests(t *testing.T) {
	known := settings(t)
	objs := manifests(t)
	kinds := map[string]int{}
	for _, m := range objs {
		var pod *corev1.PodSpec
		switch o := m.obj.(type) {
		case *corev1.ConfigMap:
			var keys []string
			for k := range o.Data {
				keys = append(keys, k)
			}
			checkEnv(t, known, "ConfigMap "+o.Name, keys)
			if o.Name == "ekjon" && len(keys) == 0 {
				t.Error("ConfigMap ekjon sets no setting")
			}
		case *appsv1.Deployment:
			pod = &o.Spec.Template.Spec
		case *appsv1.StatefulSet:
			pod = &o.Spec.Template.Spec
		case *batchv1.Job:
			pod = &o.Spec.Template.Spec
		}
		kinds[m.kind]++
		if pod == nil {
			continue
		}
		for _, c := range pod.Containers {
			var env []string
			for _, e := range c.Env {
				env = append(env, e.Name)
			}
			checkEnv(t, known, "container "+c.Name, env)
		}
	}
	for _, k := range []string{"Deployment", "StatefulSet", "Job", "ConfigMap", "Service"} {
		if kinds[k] == 0 {
			t.Errorf("the manifests hold no %s: %v", k, kinds)
		}
	}
}

// metricNames collects the names of the metrics ekjon's code constructs:
// every Name of a prometheus.*Opts literal in the module's non-test Go
// files, with a histogram's series suffixes. The names are constants in
// the constructors, so reading the code finds every metric, including
// the vectors that have no series until a label is first used.
func metricNames(t *testing.T) map[string]bool {
	t.Helper()
	names := map[string]bool{}
	fset := token.NewFileSet()
	err := filepath.WalkDir("..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") && path != ".." || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		ast.Inspect(f, func(n ast.Node) bool {
			lit, ok := n.(*ast.CompositeLit)
			if !ok {
				return true
			}
			sel, ok := lit.Type.(*ast.SelectorExpr)
			if !ok || !strings.HasSuffix(sel.Sel.Name, "Opts") {
				return true
			}
			if pkg, ok := sel.X.(*ast.Ident); !ok || pkg.Name != "prometheus" {
				return true
			}
			for _, e := range lit.Elts {
				kv, ok := e.(*ast.KeyValueExpr)
				if !ok || kv.Key.(*ast.Ident).Name != "Name" {
					continue
				}
				s, ok := kv.Value.(*ast.BasicLit)
				if !ok {
					t.Errorf("%s: a metric named by an expression, not a constant", fset.Position(kv.Pos()))
					continue
				}
				name, _ := strconv.Unquote(s.Value)
				names[name] = true
				switch sel.Sel.Name {
				case "HistogramOpts":
					names[name+"_bucket"], names[name+"_sum"], names[name+"_count"] = true, true, true
				case "SummaryOpts":
					names[name+"_sum"], names[name+"_count"] = true, true
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !names["ekjon_pipeline_decisions_total"] || !names["ekjon_index_ready"] {
		t.Fatalf("the metrics found in the code lack the pipeline's or the App's: %v", names)
	}
	// Prometheus makes up for every target.
	names["up"] = true
	return names
}

// exprMetrics returns the metric names a PromQL expression selects.
func exprMetrics(t *testing.T, where, expr string) []string {
	t.Helper()
	e, err := promql.NewParser(promql.Options{}).ParseExpr(expr)
	if err != nil {
		t.Errorf("%s: %q does not parse: %v", where, expr, err)
		return nil
	}
	var out []string
	promql.Inspect(e, func(n promql.Node, _ []promql.Node) error {
		if vs, ok := n.(*promql.VectorSelector); ok {
			name := vs.Name
			for _, m := range vs.LabelMatchers {
				if m.Name == "__name__" {
					name = m.Value
				}
			}
			out = append(out, name)
		}
		return nil
	})
	if len(out) == 0 {
		t.Errorf("%s: %q selects no metric", where, expr)
	}
	return out
}

func checkMetrics(t *testing.T, known map[string]bool, where, expr string) {
	t.Helper()
	for _, m := range exprMetrics(t, where, expr) {
		if !known[m] {
			t.Errorf("%s uses %s, which ekjon does not export", where, m)
		}
	}
}

func TestPrometheusConfig(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	cfg, err := promconfig.LoadFile("prometheus/prometheus.yml", false, log)
	if err != nil {
		t.Fatalf("prometheus/prometheus.yml: %v", err)
	}
	if len(cfg.ScrapeConfigs) == 0 {
		t.Error("prometheus/prometheus.yml scrapes nothing")
	}
	for _, rf := range cfg.RuleFiles {
		if m, _ := filepath.Glob(rf); len(m) == 0 {
			t.Errorf("prometheus/prometheus.yml loads rules from %s, which does not exist", rf)
		}
	}
	// The Prometheus of the Kubernetes manifests is configured in a
	// ConfigMap.
	found := false
	for _, m := range manifests(t) {
		if cm, ok := m.obj.(*corev1.ConfigMap); ok && cm.Data["prometheus.yml"] != "" {
			found = true
			if _, err := promconfig.Load(cm.Data["prometheus.yml"], log); err != nil {
				t.Errorf("ConfigMap %s: prometheus.yml: %v", cm.Name, err)
			}
		}
	}
	if !found {
		t.Error("no ConfigMap of the manifests holds a prometheus.yml")
	}
}

func TestAlertRules(t *testing.T) {
	known := metricNames(t)
	p := promql.NewParser(promql.Options{})
	groups, errs := rulefmt.ParseFile("prometheus/alerts.yml", false, model.LegacyValidation, p, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if len(errs) > 0 {
		t.Fatalf("prometheus/alerts.yml: %v", errors.Join(errs...))
	}
	runbook, err := os.ReadFile("../docs/operations.md")
	if err != nil {
		t.Fatal(err)
	}
	alerts := 0
	for _, g := range groups.Groups {
		for _, r := range g.Rules {
			where := "rule " + r.Alert + r.Record
			checkMetrics(t, known, where, r.Expr)
			if r.Alert == "" {
				continue
			}
			alerts++
			if r.Labels["severity"] == "" {
				t.Errorf("%s has no severity", where)
			}
			if !bytes.Contains(runbook, []byte("### "+r.Alert)) {
				t.Errorf("docs/operations.md has no section ### %s", r.Alert)
			}
		}
	}
	if alerts < 5 {
		t.Errorf("prometheus/alerts.yml holds %d alerts", alerts)
	}
}

// TestAlertRuleTests runs the rules' unit tests with promtool.
func TestAlertRuleTests(t *testing.T) {
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("promtool is not installed; .ci/run installs it (apt-get install prometheus)")
		}
		t.Skip("promtool is not installed (Debian: apt-get install prometheus); the rules' unit tests in prometheus/alerts_test.yml are not run")
	}
	cmd := exec.Command(promtool, "test", "rules", "alerts_test.yml")
	cmd.Dir = "prometheus"
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("promtool test rules: %v\n%s", err, out)
	}
}

func TestGrafanaDashboard(t *testing.T) {
	known := metricNames(t)
	body, err := os.ReadFile("grafana/dashboard.json")
	if err != nil {
		t.Fatal(err)
	}
	type panel struct {
		Title   string `json:"title"`
		Targets []struct {
			Expr string `json:"expr"`
		} `json:"targets"`
		Panels []json.RawMessage `json:"panels"` // a row's panels
	}
	var dash struct {
		Panels []json.RawMessage `json:"panels"`
	}
	if err := json.Unmarshal(body, &dash); err != nil {
		t.Fatalf("grafana/dashboard.json: %v", err)
	}
	queries := 0
	var walk func([]json.RawMessage)
	walk = func(ps []json.RawMessage) {
		for _, raw := range ps {
			var p panel
			if err := json.Unmarshal(raw, &p); err != nil {
				t.Fatalf("grafana/dashboard.json: %v", err)
			}
			for _, tg := range p.Targets {
				queries++
				checkMetrics(t, known, "panel "+strconv.Quote(p.Title), tg.Expr)
			}
			walk(p.Panels)
		}
	}
	walk(dash.Panels)
	if queries == 0 {
		t.Error("the dashboard has no query")
	}
}
