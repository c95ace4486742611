#!/usr/bin/env bash
# `make cluster`: bring the cluster up, run the fault drill and the point-in-time recovery,
# and tear everything down whatever happened. The report stays in .run/cluster/report.md and
# report.json.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"
trap 'bin/cluster/down.sh' EXIT
bin/cluster/up.sh
status=0
"$PY" bin/cluster/drill.py || status=$?
{ echo; bin/cluster/pitr.sh; } | tee -a "$RUN/report.md" || status=1
exit $status
