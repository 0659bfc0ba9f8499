package stale

import (
	"path/filepath"
	"strconv"
	"strings"

	"github.com/ldwrap/ldwrap/ldwrap/internal/rawio"
)

// nameServices gives each use outside a systemd unit the service a pid
// file under /run names: one holding its pid, or its parent's (the master
// of nginx's workers). That is how an init script finds its daemon, and
// what needrestart and checkrestart fall back on without systemd.
func nameServices(uses []Use) {
	var pidFiles map[int]string
	for i := range uses {
		if uses[i].Unit != "" {
			continue
		}
		if pidFiles == nil {
			pidFiles = readPidFiles()
		}
		pid := uses[i].PID
		if name, ok := pidFiles[pid]; ok {
			uses[i].Service = name
		} else if f := statFields("/proc/" + strconv.Itoa(pid)); len(f) > 1 {
			if ppid, err := strconv.Atoi(f[1]); err == nil {
				uses[i].Service = pidFiles[ppid]
			}
		}
	}
}

// readPidFiles maps the pids in /run/*.pid and /run/*/*.pid to the files'
// names without ".pid".
func readPidFiles() map[int]string {
	m := map[int]string{}
	for _, pattern := range []string{"/run/*.pid", "/run/*/*.pid"} {
		files, _ := filepath.Glob(pattern)
		for _, f := range files {
			b, err := rawio.ReadFile(f)
			if err != nil {
				continue
			}
			if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && pid > 0 {
				if _, taken := m[pid]; !taken {
					m[pid] = strings.TrimSuffix(filepath.Base(f), ".pid")
				}
			}
		}
	}
	return m
}
