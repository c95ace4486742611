#!/usr/bin/env bash
# `make cluster`: bring the cluster up, run the fault drill, and tear everything down whatever
# happened. The report stays in .run/cluster/report.md and report.json.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"
trap 'bin/cluster/down.sh' EXIT
bin/cluster/up.sh
"$PY" bin/cluster/drill.py
