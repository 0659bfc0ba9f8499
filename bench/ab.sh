#!/bin/bash
# A/B of two builds of the commands: bench/ab.sh OLD_DIR NEW_DIR
# (directories holding ldwrap, ldwrap-cc, ldwrap-install, ldwrap-run, each
# built with CGO_ENABLED=0 go build -o DIR/ ./ldwrap/cmd/...). The two
# alternate, N pairs (default 30), each writing into a directory of its own;
# prints the medians and the median of the per-pair differences. Needs gcc,
# ld and python3. For a before/after the go test benchmarks cannot give:
# they build only the current tree.
set -eu
old=$(realpath "$1") new=$(realpath "$2") N=${N:-30}
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT; cd "$work"
printf '#include <stdio.h>\nint main(void){puts("hi");return 0;}\n' > h.c
gcc -c -o h.o h.c
mkdir files; for i in $(seq 200); do head -c 4096 /dev/zero | tr '\0' x > files/f$i; done
head -c 1048576 /dev/urandom > big
row() { # name, then a command with BIN (the build) and DEST (its directory)
  local name=$1 tmpl=$2 i w c s e
  mkdir -p dest-old dest-new; : > old.txt; : > new.txt
  for i in $(seq $((N + 2))); do
    for w in old new; do
      [ $((i % 2)) = 0 ] || { [ $w = old ] && w=new || w=old; }
      [ -z "${SYNC:-}" ] || sync
      c=${tmpl//BIN/${!w}}; c=${c//DEST/dest-$w}
      s=$(date +%s%N); eval "$c" >/dev/null 2>&1 || { echo "ab: failed: $c" >&2; exit 1; }; e=$(date +%s%N)
      [ $i -le 2 ] || echo $(((e - s) / 1000)) >> $w.txt
    done
  done
  python3 - "$name" <<'PY'
import statistics, sys
o = [int(x) for x in open("old.txt")]; n = [int(x) for x in open("new.txt")]
d = [b - a for a, b in zip(o, n)]
print(f"{sys.argv[1]:44s} old {statistics.median(o)/1000:8.2f} ms  new {statistics.median(n)/1000:8.2f} ms  median(new-old) {statistics.median(d)/1000:+7.2f} ms")
PY
}
export LDWRAP_CC=gcc LDWRAP_LD=ld
row "link via ldwrap-cc (gcc)" "BIN/ldwrap-cc -o DEST/prog h.o"
row "compile -c -MD -O2 via ldwrap-cc" "BIN/ldwrap-cc -c -MD -O2 -o DEST/obj.o h.c"
row "link via ldwrap (ld -r)" "BIN/ldwrap -r -o DEST/r.o h.o"
row "ldwrap-run cp 1 MiB" "BIN/ldwrap-run -o DEST/out -- cp big DEST/out"
row "ldwrap-install 200 x 4 KiB, old files dirty" "LDWRAP_DURABLE=0 BIN/ldwrap-install -m 644 files/* DEST/"
SYNC=1 row "ldwrap-install 200 x 4 KiB, old files on disk" "LDWRAP_DURABLE=0 BIN/ldwrap-install -m 644 files/* DEST/"
