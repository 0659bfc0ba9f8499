//go:build linux

package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	api "github.com/ldwrap/ldwrap/ldwrap"
)

// The benchmarks' results, written by writeBenchReport when
// LDWRAP_BENCH_DIR names a directory (go run mage.go bench sets it to bench/).
var (
	benchMu      sync.Mutex
	benchResults []benchResult
)

func recordBench(r benchResult) {
	benchMu.Lock()
	defer benchMu.Unlock()
	benchResults = append(benchResults, r)
}

// writeBenchReport writes results.jsonl, machine.txt, RESULTS.md and
// chart.svg into dir, each atomically, if any benchmark ran.
func writeBenchReport(dir string) error {
	if dir == "" || len(benchResults)+len(shareResults) == 0 {
		return nil
	}
	var jsonl bytes.Buffer
	for _, r := range benchResults {
		if err := json.NewEncoder(&jsonl).Encode(r); err != nil {
			return err
		}
	}
	machine := machineLine()
	table := benchTable(benchResults, machine) + shareTable()
	fmt.Print(table)
	for name, data := range map[string]string{
		"results.jsonl": jsonl.String(), "machine.txt": machine + "\n",
		"RESULTS.md": table, "chart.svg": benchChart(benchResults, machine),
	} {
		if err := api.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			return err
		}
	}
	return nil
}

func machineLine() string {
	cpu := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(l, "model name") {
				cpu = strings.TrimSpace(strings.SplitN(l, ":", 2)[1])
				break
			}
		}
	}
	fs, _ := exec.Command("stat", "-f", "-c", "%T", os.TempDir()).Output()
	return fmt.Sprintf("%s, %d cores, %s, %s (temp dirs on %s), %s", cpu, runtime.NumCPU(), kernel(), runtime.Version(),
		strings.TrimSpace(string(fs)), time.Now().UTC().Format("2006-01-02"))
}

func kernel() string {
	b, _ := exec.Command("uname", "-r").Output()
	return "Linux " + strings.TrimSpace(string(b))
}

func benchTable(rs []benchResult, machine string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Measured on %s. Each row alternates the wrapped command (A) and the bare one (B) in one run; medians over the pairs. CPU is user+sys of the command and its waited-for descendants (wait4).\n\n", machine)
	b.WriteString("| scenario | pairs | bare (B) ms | ldwrap (A) ms | median A−B ms | median A/B | CPU B ms | CPU A ms | CPU A−B ms | CPU A/B |\n|---|---|---|---|---|---|---|---|---|---|\n")
	for _, r := range rs {
		fmt.Fprintf(&b, "| %s | %d | %.2f | %.2f | %+.2f | %.3f× | %.2f | %.2f | %+.2f | %.3f× |\n", r.Scenario, r.Pairs,
			r.MedianB, r.MedianA, r.ExtraMs, r.Ratio, r.CPUB, r.CPUA, r.CPUExtraMs, r.CPURatio)
	}
	return b.String()
}

// benchChart draws the ratio of every scenario as a bar (1.0 = no cost).
func benchChart(rs []benchResult, machine string) string {
	const left, barH, gap, width = 430, 18, 6, 900
	maxRatio := 2.0
	for _, r := range rs {
		if r.Ratio > maxRatio {
			maxRatio = r.Ratio
		}
	}
	h := 70 + len(rs)*(barH+gap) + 30
	x := func(v float64) float64 { return left + (width-left-150)*v/maxRatio }
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="12">`+"\n", width, h)
	fmt.Fprintf(&b, `<rect width="100%%" height="100%%" fill="white"/><text x="10" y="20" font-size="15" font-weight="bold">ldwrap cost: median ratio wrapped/bare per scenario (1.0 = free)</text>`+"\n")
	fmt.Fprintf(&b, `<text x="10" y="40" fill="#555">%s</text>`+"\n", html.EscapeString(machine))
	for i, r := range rs {
		y := 60 + i*(barH+gap)
		color := "#4a90d9"
		switch r.Group {
		case "size", "size-dirty", "size-vs-mv":
			color = "#7bb661"
		case "durable":
			color = "#e0a030"
		case "install":
			color = "#c0504d"
		}
		fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="end">%s</text>`+"\n", left-8, y+13, html.EscapeString(r.Scenario))
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%.1f" height="%d" fill="%s"/>`+"\n", left, y, x(r.Ratio)-left, barH, color)
		fmt.Fprintf(&b, `<text x="%.1f" y="%d">%.2f× (%+.1f ms)</text>`+"\n", x(r.Ratio)+4, y+13, r.Ratio, r.ExtraMs)
	}
	fmt.Fprintf(&b, `<line x1="%.1f" y1="50" x2="%.1f" y2="%d" stroke="black" stroke-dasharray="4,3"/>`+"\n", x(1), x(1), h-25)
	fmt.Fprintf(&b, `<text x="%.1f" y="%d">1.0</text>`+"\n", x(1)-8, h-10)
	b.WriteString("</svg>\n")
	return b.String()
}
