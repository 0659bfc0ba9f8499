//go:build linux

package e2e

import (
	"flag"
	"fmt"
	"reflect"
	"runtime"
	"strings"
	"testing"
)

// The portable run (go run mage.go portable) builds the commands with the
// POSIX fallback macOS and FreeBSD get, and repeats the tests of the
// promises that fallback keeps differently (kills, leftovers, faults,
// concurrency, signals, the tool's messages), of the commands' basic work,
// and of the Mac's toolchain. Each such test is marked beside its function:
//
//	var _ = portableToo(TestX)
//
// so the selection names functions that exist (a renamed test is a
// compile error), and not a pattern kept elsewhere, which once matched
// none of TestSigkill*, TestParallelWriters* and TestIgnoredSignal*. The
// rest test the tools themselves (toolchain matrices, build systems,
// launchers, Bazel), the command lines' handling, or /proc-only code,
// which the tag does not change; an explicit -run (PortableAll's) runs
// them too.
var portableTests []string

// portableToo marks test as one the portable run repeats.
func portableToo(test func(*testing.T)) bool {
	name := runtime.FuncForPC(reflect.ValueOf(test).Pointer()).Name()
	portableTests = append(portableTests, name[strings.LastIndexByte(name, '.')+1:])
	return true
}

// selectPortable makes the portable build run the marked tests, unless
// -run chose others.
func selectPortable() error {
	run := flag.Lookup("test.run")
	if !portable || run == nil || run.Value.String() != "" {
		return nil
	}
	if len(portableTests) == 0 {
		return fmt.Errorf("no test is marked with portableToo")
	}
	return flag.Set("test.run", "^("+strings.Join(portableTests, "|")+")$")
}
