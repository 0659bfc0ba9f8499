package cmdline

import "testing"

// A compile as CMake's Makefile and Ninja generators write it, to measure
// the driver model's per-call cost (issue 33 bounds it).
var cmakeCompile = []string{
	"-DNDEBUG", "-DFOO_EXPORTS", "-I/src/include", "-I/build/gen", "-isystem", "/opt/dep/include",
	"-O2", "-g", "-Wall", "-Wextra", "-Werror=return-type", "-fPIC", "-std=gnu++17",
	"-fvisibility=hidden", "-MD", "-MT", "obj/a.cpp.o", "-MF", "obj/a.cpp.o.d",
	"-o", "obj/a.cpp.o", "-c", "/src/a.cpp",
}

func BenchmarkPlanCompile(b *testing.B) {
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		Driver{}.Plan(cmakeCompile, nil)
	}
}
