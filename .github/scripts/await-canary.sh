#!/usr/bin/env bash
# await-canary.sh WORKLOAD STABLE_HASH PREVIOUS_IMAGE
# Waits for the Argo Rollout of WORKLOAD (namespace ecowheels), whose stable pod hash was STABLE_HASH
# before a new image was set on its Deployment, to take the new template and then either promote it
# (exit 0) or abort it because its analysis failed (exit 1, after putting PREVIOUS_IMAGE back on the
# Deployment, so that what the cluster declares is what runs). Exit 2: neither within 25 minutes
# (AWAIT_CANARY_POLLS polls, AWAIT_CANARY_INTERVAL seconds apart: 150 and 10).
set -euo pipefail
workload=$1 stable=$2 previous=$3
polls=${AWAIT_CANARY_POLLS:-150} interval=${AWAIT_CANARY_INTERVAL:-10}
field() { kubectl -n ecowheels get rollout "${workload}" -o "jsonpath={$1}"; }
for _ in $(seq 1 "${polls}"); do
  sleep "${interval}"
  current=$(field .status.currentPodHash)
  # The controller has not taken the new template yet.
  [ "${current}" = "${stable}" ] && continue
  if [ "$(field .status.abort)" = "true" ]; then
    echo "the canary of ${workload} failed its analysis (kubectl -n ecowheels get analysisrun); putting ${previous} back"
    kubectl -n ecowheels set image "deployment/${workload}" "${workload}=${previous}"
    exit 1
  fi
  if [ "$(field .status.stableRS)" = "${current}" ] && [ "$(field .status.phase)" = "Healthy" ]; then
    echo "${workload}: promoted"
    exit 0
  fi
done
echo "${workload}: the canary neither finished nor aborted in $((polls * interval)) seconds"
exit 2
