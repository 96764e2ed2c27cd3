#!/usr/bin/env bash
# Fuzzes the candidate API of a real `certsim serve` on 127.0.0.1 with Schemathesis, against the
# OpenAPI document the daemon serves (GET /openapi.yaml). Bounded: a fixed number of examples per
# operation, a fixed seed, one worker, a time limit. Fails when Schemathesis finds a response
# that breaks the document (status, content type, headers, body schema) or a 5xx other than a
# 503 with Retry-After (every other Schemathesis check runs too: wrong methods, auth, data
# acceptance and rejection), when the daemon is not alive and healthy afterwards, or when its /metrics
# does not parse as Prometheus text.
#
# Usage: scripts/schemathesis.sh [CERTSIM_BINARY]   (default .build/release/certsim)
# Environment: SCHEMATHESIS_MAX_EXAMPLES (default 50), SCHEMATHESIS_SEED (default 14),
#              SCHEMATHESIS_TIME_LIMIT_SECONDS (default 300).
# Installs schemathesis and prometheus_client (pinned) into .venv-schemathesis on first use.
set -euo pipefail
cd "$(dirname "$0")/.."

CERTSIM=${1:-.build/release/certsim}
VENV=.venv-schemathesis
SCHEMATHESIS_VERSION=4.32.5
PROMETHEUS_CLIENT_VERSION=0.26.0
MAX_EXAMPLES=${SCHEMATHESIS_MAX_EXAMPLES:-50}
SEED=${SCHEMATHESIS_SEED:-14}
TIME_LIMIT_SECONDS=${SCHEMATHESIS_TIME_LIMIT_SECONDS:-300}
STARTUP_TRIES_MAX=100   # × 0.1 s

[ -x "$CERTSIM" ] || { echo "schemathesis.sh: no certsim binary at $CERTSIM" >&2; exit 2; }
if ! "$VENV/bin/schemathesis" --version 2>/dev/null | grep -q "$SCHEMATHESIS_VERSION"; then
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet "schemathesis==$SCHEMATHESIS_VERSION" "prometheus_client==$PROMETHEUS_CLIENT_VERSION"
fi

work=$(mktemp -d)
"$CERTSIM" serve --data-dir "$work" --http 127.0.0.1:0 --seed "$SEED" --log-level error >"$work/serve.log" 2>&1 &
daemon=$!
cleanup() {
    kill "$daemon" 2>/dev/null || true
    wait "$daemon" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

url=""
for _ in $(seq 1 "$STARTUP_TRIES_MAX"); do
    url=$(sed -n 's/^certsim serve: candidate API on \(http:\/\/127\.0\.0\.1:[0-9]*\).*/\1/p' "$work/serve.log" | head -n 1)
    [ -n "$url" ] && break
    kill -0 "$daemon" 2>/dev/null || { cat "$work/serve.log" >&2; exit 1; }
    sleep 0.1
done
[ -n "$url" ] || { echo "schemathesis.sh: the daemon did not start" >&2; cat "$work/serve.log" >&2; exit 1; }
echo "schemathesis.sh: certsim serve on $url (seed $SEED), $MAX_EXAMPLES examples per operation, one worker"

status=0
repository=$(pwd)
# Run from the scratch folder: Schemathesis leaves its own files in the working directory.
(cd "$work" && CERTSIM_BASE_URL="$url" CERTSIM_CONTROL_SOCKET="$work/certsim.sock" \
    PYTHONPATH="$repository/scripts" SCHEMATHESIS_HOOKS=schemathesis_hooks \
    timeout "$TIME_LIMIT_SECONDS" "$repository/$VENV/bin/schemathesis" run "$url/openapi.yaml" --url "$url" \
    --checks all --exclude-checks not_a_server_error \
    --phases examples,coverage,fuzzing --max-examples "$MAX_EXAMPLES" --seed "$SEED" --workers 1 \
    --request-timeout 10 --generation-database none --no-color) || status=$?

# The daemon must still be alive and healthy, and its metrics must parse.
kill -0 "$daemon" 2>/dev/null || { echo "schemathesis.sh: the daemon died" >&2; cat "$work/serve.log" >&2; exit 1; }
CERTSIM_BASE_URL="$url" "$VENV/bin/python" - <<'PY' || status=1
import os, urllib.request
from prometheus_client.parser import text_string_to_metric_families
base = os.environ["CERTSIM_BASE_URL"]
with urllib.request.urlopen(base + "/healthz", timeout=10) as response:
    assert response.status == 200, response.status
with urllib.request.urlopen(base + "/metrics", timeout=10) as response:
    families = list(text_string_to_metric_families(response.read().decode()))
samples = sum(len(family.samples) for family in families)
assert families and samples, "no metrics"
print(f"schemathesis.sh: daemon healthy afterwards; /metrics parsed: {len(families)} families, {samples} samples")
# What the fuzzer's requests got, from the daemon's own counters.
statuses = {}
for family in families:
    if family.name == "certsim_requests":
        for sample in family.samples:
            if sample.name.endswith("_total"):
                key = (sample.labels.get("route", "?"), sample.labels.get("status", "?"))
                statuses[key] = statuses.get(key, 0) + int(sample.value)
for (route, status), count in sorted(statuses.items()):
    print(f"schemathesis.sh:   {route:55s} {status}  {count}")
PY
echo "schemathesis.sh: $([ "$status" = 0 ] && echo passed || echo "FAILED ($status)")"
exit "$status"
