package cli

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/ldwrap/ldwrap/internal/commands"
)

// TestCommandsSkipCostlyInits keeps packages whose init runs on every call
// out of the commands that wrap a build step: regexp compiled at init and
// package crypto's init added 1.5 ms to each link and compile
// (GODEBUG=inittrace=1).
func TestCommandsSkipCostlyInits(t *testing.T) {
	if os.Getenv("TEST_SRCDIR") != "" {
		t.Skip("under Bazel: no Go module to list")
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command to list the commands' packages")
	}
	var pkgs []string
	for _, c := range commands.All {
		if c.Model != commands.Stale { // it wraps no step
			pkgs = append(pkgs, "github.com/ldwrap/ldwrap/ldwrap/cmd/"+c.Name)
		}
	}
	// One go list for all: each call loads the module graph again (2 to 3 s
	// apiece on a loaded CI machine).
	out, err := exec.Command("go", append([]string{"list", "-f", "{{.ImportPath}} {{join .Deps \" \"}}"}, pkgs...)...).Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != len(pkgs) {
		t.Fatalf("go list gave %d lines for %d commands:\n%s", len(lines), len(pkgs), out)
	}
	for _, line := range lines {
		fields := strings.Fields(line)
		for _, pkg := range fields[1:] {
			if pkg == "regexp" || pkg == "crypto" || strings.HasPrefix(pkg, "crypto/") {
				t.Errorf("%s links %s", fields[0], pkg)
			}
		}
	}
}
