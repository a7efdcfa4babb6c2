package app

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"
)

// CheckStatus is how a start-up check came out.
type CheckStatus string

const (
	// CheckOK: what was checked is as ekjon needs it.
	CheckOK CheckStatus = "ok"
	// CheckWarn: ekjon can run, but something is not as the docs ask, or
	// could not be checked.
	CheckWarn CheckStatus = "WARN"
	// CheckFail: ekjon must not start until the setting it names changes.
	CheckFail CheckStatus = "FAIL"
)

// CheckResult is one start-up check: what was checked, what was found,
// and, when it failed or warns, what to change.
type CheckResult struct {
	Name   string
	Status CheckStatus
	// Found is what was found: the evidence of an ok, or what is wrong.
	Found string
	// Remedy is one line naming the setting to change; empty when ok.
	Remedy string
}

// Message is the check's one line: what was found, then the remedy.
func (r CheckResult) Message() string {
	if r.Remedy == "" {
		return r.Found
	}
	return r.Found + ": " + r.Remedy
}

// CheckMode says which command runs the checks.
type CheckMode int

const (
	// ForCheck is `ekjon check`: it reports and changes nothing, except
	// that it creates missing topics when asked to (--create-topics).
	ForCheck CheckMode = iota
	// ForRun is `ekjon run`, which applies the record's missing
	// migrations itself right after the checks.
	ForRun
)

// checkTimeout bounds the checks of one service, so that a server that
// accepts connections and never answers cannot hang the start.
const checkTimeout = 20 * time.Second

// Checks runs the start-up checks on the settings and on the services
// they name, in order: settings, the HMAC secret, Kafka, Redis and
// PostgreSQL. A service that does not answer is one failure; the checks
// that need it are not run. Checks never changes a service, except to
// create the missing topics when cfg.CreateTopics is set.
func Checks(ctx context.Context, cfg Config, mode CheckMode) []CheckResult {
	out := []CheckResult{checkSettings(cfg), checkSecret(cfg.HMACSecret)}
	for _, group := range []func(context.Context, Config, CheckMode) []CheckResult{checkKafka, checkRedis, checkPostgres} {
		gctx, cancel := context.WithTimeout(ctx, checkTimeout)
		out = append(out, group(gctx, cfg, mode)...)
		cancel()
	}
	return out
}

// Preflight runs the checks as `ekjon run` does before it consumes
// anything: it logs each result and returns an error naming every
// failure, or nil when none failed.
func Preflight(ctx context.Context, cfg Config, log *slog.Logger) error {
	results := Checks(ctx, cfg, ForRun)
	for _, r := range results {
		switch r.Status {
		case CheckOK:
			log.Info("start-up check", "check", r.Name, "found", r.Found)
		case CheckWarn:
			log.Warn("start-up check", "check", r.Name, "found", r.Found, "remedy", r.Remedy)
		}
	}
	return CheckFailures(results)
}

// CheckFailures returns an error with one line per failed check, or nil
// when none failed.
func CheckFailures(results []CheckResult) error {
	var lines []string
	for _, r := range results {
		if r.Status == CheckFail {
			lines = append(lines, "  "+r.Name+": "+r.Message())
		}
	}
	if len(lines) == 0 {
		return nil
	}
	return fmt.Errorf("start-up checks failed (ekjon check lists them all):\n%s", strings.Join(lines, "\n"))
}

func passed(name, found string) CheckResult {
	return CheckResult{Name: name, Status: CheckOK, Found: found}
}

func warned(name, found, remedy string) CheckResult {
	return CheckResult{Name: name, Status: CheckWarn, Found: found, Remedy: remedy}
}

func failed(name, found, remedy string) CheckResult {
	return CheckResult{Name: name, Status: CheckFail, Found: found, Remedy: remedy}
}

// checkSettings reports the settings that cannot work (Config.Validate),
// but for the secret, which has a check of its own.
func checkSettings(cfg Config) CheckResult {
	cfg.HMACSecret = strings.Repeat("s", minSecretBytes)
	if err := cfg.Validate(); err != nil {
		return failed("settings", strings.ReplaceAll(err.Error(), "\n", "; "), "change the settings named (ekjon settings lists them)")
	}
	return passed("settings", "valid")
}

// minSecretBytes is the shortest HMAC secret ekjon accepts: below 128
// bits, the keyed hashes that hide NIDs in the index could be searched.
const minSecretBytes = 16

// DemoSecret keys the hashes of `ekjon demo` and `ekjon bench`. It is
// public, so `ekjon run` refuses it.
const DemoSecret = "ekjon-demo-secret-not-for-production"

// publicSecrets are secrets printed in ekjon's own code, tests and docs:
// an index keyed by one of them hides nothing.
func publicSecrets() []string {
	return []string{DemoSecret, "harness-secret-0123456789", "config-test-secret-0123",
		"a-secret-long-enough-0123456789", "ekjon-eval-pseudonyms"}
}

// checkSecret checks the HMAC secret that keys the hashes of NIDs, phones
// and wallets in the index.
func checkSecret(secret string) CheckResult {
	const name, remedy = "hmac secret", "set --hmac-secret (EKJON_HMAC_SECRET) to a random secret of your own, e.g. openssl rand -base64 32"
	switch {
	case secret == "":
		return failed(name, "hmac-secret is not set", remedy)
	case len(secret) < minSecretBytes:
		return failed(name, fmt.Sprintf("hmac-secret is %d bytes, fewer than %d", len(secret), minSecretBytes), remedy)
	}
	for _, s := range publicSecrets() {
		if strings.EqualFold(secret, s) {
			return failed(name, "hmac-secret is a demo or test value printed in ekjon's source", remedy)
		}
	}
	if strings.Count(secret, secret[:1]) == len(secret) {
		return failed(name, "hmac-secret repeats one character", remedy)
	}
	return passed(name, fmt.Sprintf("%d bytes, not a known demo or test value", len(secret)))
}

// errText is an error's text on one line.
func errText(err error) string {
	return strings.ReplaceAll(err.Error(), "\n", "; ")
}
