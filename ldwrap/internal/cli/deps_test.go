package cli

import (
	"os"
	"os/exec"
	"strings"
	"testing"
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
	for _, cmd := range []string{"ldwrap", "ldwrap-cc", "ldwrap-c++", "ldwrap-install", "ldwrap-run"} {
		out, err := exec.Command("go", "list", "-deps", "github.com/ldwrap/ldwrap/ldwrap/cmd/"+cmd).Output()
		if err != nil {
			t.Fatalf("go list %s: %v", cmd, err)
		}
		for _, pkg := range strings.Fields(string(out)) {
			if pkg == "regexp" || pkg == "crypto" || strings.HasPrefix(pkg, "crypto/") {
				t.Errorf("%s links %s", cmd, pkg)
			}
		}
	}
}
