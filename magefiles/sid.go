//go:build mage

package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/ldwrap/ldwrap/internal/testenv"
	"github.com/ldwrap/ldwrap/ldwrap"
	"github.com/magefile/mage/sh"
)

// The Debian sid chroot: today's toolchains (gcc 16, clang and lld 21,
// mold 3, binutils 2.47) and Bazel 7, which needs sid's libc. The e2e tests
// use it for the second toolchain generation and for Bazel with Bzlmod;
// LDWRAP_SID_ROOT moves it for both (internal/testenv).
var (
	sidRoot   = testenv.SidRoot()
	sidMarker = testenv.SidMarker()
)

// sidPackages are installed in the chroot (with --no-install-recommends).
var sidPackages = []string{
	"bazel-bootstrap", "bazel-rules-shell", "golang-go", "ca-certificates", "git",
	"gcc", "g++", "clang", "lld", "mold", "binutils", "ccache", "make",
}

// Sid makes the Debian sid chroot once and keeps it ready (root, network to the Debian mirror; cold 4 min, warm 1 s).
// debootstrap runs on the first call (into a temporary name, renamed when
// complete); every call sets up the bind mounts and apt's settings and
// installs whatever package is missing.
func Sid() error {
	if err := aptInstall([]string{"debootstrap"}); err != nil {
		return err
	}
	if _, err := os.Stat(sidMarker); err != nil {
		if err := debootstrapSid(); err != nil {
			return err
		}
	}
	// Debian's sid Release files can be past their Valid-Until date on a
	// mirror; apt then refuses to update until told not to check.
	if err := ldwrap.WriteFile(sidRoot+"/etc/apt/apt.conf.d/99ldwrap", []byte("Acquire::Check-Valid-Until \"false\";\n"), 0o644); err != nil {
		return err
	}
	if b, err := os.ReadFile("/etc/resolv.conf"); err == nil {
		if err := ldwrap.WriteFile(sidRoot+"/etc/resolv.conf", b, 0o644); err != nil {
			return err
		}
	}
	for _, d := range []string{"proc", "sys", "dev"} {
		if exec.Command("mountpoint", "-q", filepath.Join(sidRoot, d)).Run() != nil {
			if err := sh.Run("mount", "--bind", "/"+d, filepath.Join(sidRoot, d)); err != nil {
				return err
			}
		}
	}
	var missing []string
	for _, p := range sidPackages {
		out, _ := exec.Command("chroot", sidRoot, "dpkg-query", "-W", "-f=${Status}", p).Output()
		if !strings.Contains(string(out), "install ok installed") {
			missing = append(missing, p)
		}
	}
	if len(missing) > 0 {
		fmt.Println("sid chroot: installing", strings.Join(missing, " "))
		script := "export DEBIAN_FRONTEND=noninteractive; apt-get update -q && apt-get install -y -q --no-install-recommends " + strings.Join(missing, " ") + " && apt-get clean"
		if err := sh.RunV("chroot", sidRoot, "sh", "-c", script); err != nil {
			return err
		}
	}
	return trustHostCAs()
}

// trustHostCAs gives the chroot the local certificate authorities the host
// trusts (/usr/local/share/ca-certificates): where the package registries
// are reached through a proxy with its own CA, the Go module proxy is
// reachable from the chroot only with it.
func trustHostCAs() error {
	certs, _ := filepath.Glob("/usr/local/share/ca-certificates/*.crt")
	changed := false
	for _, c := range certs {
		b, err := os.ReadFile(c)
		if err != nil {
			return err
		}
		dst := filepath.Join(sidRoot, c)
		if old, err := os.ReadFile(dst); err == nil && string(old) == string(b) {
			continue
		}
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		if err := ldwrap.WriteFile(dst, b, 0o644); err != nil {
			return err
		}
		changed = true
	}
	if !changed {
		return nil
	}
	return sh.Run("chroot", sidRoot, "update-ca-certificates")
}

// debootstrapSid builds the base system beside its final name and renames
// it when complete, so an interrupted run never leaves a half chroot that
// looks ready.
func debootstrapSid() error {
	tmp := sidRoot + ".new"
	// Nothing is ever mounted under the temporary name, so removing it
	// cannot reach the host's /proc, /sys or /dev.
	if err := os.RemoveAll(tmp); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(sidRoot), 0o755); err != nil {
		return err
	}
	fmt.Println("sid chroot: debootstrap from", debianMirror())
	if err := sh.RunV("debootstrap", "--variant=minbase", "sid", tmp, debianMirror()); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(tmp, testenv.SidMarkerName), []byte("debootstrap --variant=minbase sid\n"), 0o644); err != nil {
		return err
	}
	if _, err := os.Stat(sidRoot); err == nil {
		return fmt.Errorf("sid chroot: %s exists without %s; remove it by hand (unmount %s/{proc,sys,dev} first)", sidRoot, sidMarker, sidRoot)
	}
	return os.Rename(tmp, sidRoot)
}

// debianMirror is the mirror this machine's apt uses (so the chroot comes
// from the same place), else deb.debian.org.
func debianMirror() string {
	files, _ := filepath.Glob("/etc/apt/sources.list.d/*")
	files = append(files, "/etc/apt/sources.list")
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(strings.NewReader(string(b)))
		for sc.Scan() {
			fields := strings.Fields(sc.Text())
			switch {
			case len(fields) >= 2 && fields[0] == "URIs:" && strings.HasSuffix(fields[1], "/debian"):
				return fields[1]
			case len(fields) >= 3 && fields[0] == "deb" && strings.HasSuffix(fields[1], "/debian"):
				return fields[1]
			}
		}
	}
	return "http://deb.debian.org/debian"
}
