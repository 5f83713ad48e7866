#!/usr/bin/env bash
# `make cluster` (docs/cluster.md): runs python -m cluster.run, and whatever happens to it (an error, Ctrl+C,
# a kill), removes the run's network namespaces, bridge and processes on the way out.
set -uo pipefail
cd "$(dirname "$0")/.."
PY="${PY:-.venv/bin/python}"
PREFIX="${CLUSTER_PREFIX:-sfc}"
trap '"$PY" -m cluster.run --teardown --prefix "$PREFIX" >/dev/null' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
"$PY" -m cluster.run --prefix "$PREFIX" "$@"
