package cli

import (
	"os"
	"path/filepath"
	"strings"

	"github.com/ldwrap/ldwrap/ldwrap/internal/cmdline"
	"github.com/ldwrap/ldwrap/ldwrap/internal/step"
)

// Driver is ldwrap-cc (envVar LDWRAP_CC, default cc) and ldwrap-c++.
func Driver(envVar, def string) {
	spec := os.Getenv(envVar)
	if spec == "" {
		spec = def
	}
	tool, err := step.FindTool(spec)
	if err != nil {
		fatalf(exitCodeOf(err), "%v", err)
	}
	exe := resolved(tool.Path) // once: both questions start from it
	d := cmdline.Driver{Clang: isClang(tool, exe), Distcc: isDistcc(tool, exe)}
	run(step.Step{Tool: tool, Args: os.Args[1:], Plan: d.Plan(os.Args[1:], nil)})
}

// isClang looks at the compiler word of the command: the last word that
// is not an option ("ccache clang" -> clang), resolved through symlinks
// (cc -> /etc/alternatives/cc -> gcc). exe is t.Path resolved.
func isClang(t step.Tool, exe string) bool {
	word := t.Words[0]
	for i := len(t.Words) - 1; i > 0; i-- {
		if !strings.HasPrefix(t.Words[i], "-") {
			word = t.Words[i]
			break
		}
	}
	if word == t.Words[0] {
		return strings.Contains(filepath.Base(exe), "clang")
	}
	path := word
	if c, err := step.FindCommand(word); err == nil {
		path = c.Path
	}
	return strings.Contains(filepath.Base(resolved(path)), "clang")
}

// isDistcc: a word of the command before the compiler is distcc
// (LDWRAP_CC='distcc gcc'), or the command is distcc's masquerade link
// (/usr/lib/distcc/gcc -> ../../bin/distcc). exe is t.Path resolved.
func isDistcc(t step.Tool, exe string) bool {
	if filepath.Base(exe) == "distcc" {
		return true
	}
	for _, w := range t.Words[1:] {
		if filepath.Base(w) == "distcc" {
			return true
		}
	}
	return false
}
