//go:build unix

package ldwrap_test

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/ldwrap/ldwrap/ldwrap"
)

func ExampleWriteFile() {
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "config.h")
	if err := ldwrap.WriteFile(path, []byte("#define VERSION 2\n"), 0o644); err != nil {
		fmt.Println(err)
		return
	}
	b, _ := os.ReadFile(path)
	fmt.Print(string(b))
	// Output: #define VERSION 2
}

func ExampleInstall() {
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	src := filepath.Join(dir, "tool")
	os.WriteFile(src, []byte("#!/bin/sh\necho hi\n"), 0o644)
	dst := filepath.Join(dir, "bin-tool")
	// Safe while dst is running: the running copy keeps the old inode.
	if err := ldwrap.Install(src, dst, ldwrap.WithMode(0o755)); err != nil {
		fmt.Println(err)
		return
	}
	fi, _ := os.Stat(dst)
	fmt.Println(fi.Mode())
	// Output: -rwxr-xr-x
}

func ExampleRun() {
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	out := filepath.Join(dir, "listing.txt")
	// The command writes the staged file; out changes only if it succeeds.
	err := ldwrap.Run([]string{out}, []string{"sh", "-c", `echo built > "$0"`, out})
	fmt.Println(err)
	b, _ := os.ReadFile(out)
	fmt.Print(string(b))

	err = ldwrap.Run([]string{out}, []string{"sh", "-c", `echo partial > "$0"; exit 3`, out})
	fmt.Println(err)
	b, _ = os.ReadFile(out)
	fmt.Print(string(b))
	// Output:
	// <nil>
	// built
	// run sh: exit status 3
	// built
}

func ExampleCreate() {
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "big.bin")
	f, err := ldwrap.Create(path, 0o644)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer f.Cleanup() // removes the temp if we return early
	fmt.Fprintln(f, "streamed content")
	if err := f.CloseAtomicallyReplace(); err != nil {
		fmt.Println(err)
	}
	b, _ := os.ReadFile(path)
	fmt.Print(string(b))
	// Output: streamed content
}
