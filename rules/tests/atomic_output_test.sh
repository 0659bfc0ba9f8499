#!/bin/sh
# The output atomic_output committed holds what the command wrote.
set -eu
got=$(cat "$1")
[ "$got" = HELLO ] || { echo "atomic_output: want HELLO, got '$got'" >&2; exit 1; }
