#!/usr/bin/env bash
# Rolling replacement of the compose deployment's gateway replicas, one at a
# time, with the others serving: for each running gateway container, start one
# more replica (`up -d --no-deps --no-recreate --scale gateway=N+1`: the new
# container gets the current image and .env, the running ones are left alone),
# wait until it is healthy and listed in the cluster's replica registry, give
# HAProxy's DNS resolution time to put it in rotation, then stop the old
# container (SIGTERM: it drains, its clients reconnect spread over
# DRAIN_SPREAD_MS) and remove it. The replica count is the same at the end.
#
# Works with compose v2 (`docker compose`) and Debian's docker-compose 1.29.
# Usage (from the directory of docker-compose.yml, with its .env):
#   bash scripts/compose-rolling-restart.sh
# Environment:
#   COMPOSE        the compose command with any options, e.g. "docker-compose -p prod"
#                  (default: `docker compose`, else `docker-compose`)
#   SERVICE        the service to replace (gateway)
#   SETTLE_S       seconds between a new replica being ready and the old one's stop (7:
#                  HAProxy re-resolves Docker's DNS every few seconds, `hold valid 5s`)
#   STOP_TIMEOUT_S docker stop's grace period; keep it above DRAIN_TIMEOUT_MS (30)
#   READY_TIMEOUT_S how long a new replica may take to become healthy (90)
set -euo pipefail

service=${SERVICE:-gateway}
settle=${SETTLE_S:-7}
stop_timeout=${STOP_TIMEOUT_S:-30}
ready_timeout=${READY_TIMEOUT_S:-90}
if [[ -n "${COMPOSE:-}" ]]; then
  read -r -a compose <<<"$COMPOSE"
elif docker compose version >/dev/null 2>&1; then
  compose=(docker compose)
else
  compose=(docker-compose)
fi

running() {
  # Running containers only: v1's `ps -q` also lists stopped ones.
  local id
  for id in $("${compose[@]}" ps -q "$service"); do
    [[ "$(docker inspect -f '{{.State.Running}}' "$id")" == true ]] && echo "$id"
  done
}

# Healthy (its /health answers 200) and listed, not draining, by its own /stats.
registered() {
  docker exec "$1" node -e "
    const host = require('node:os').hostname();
    fetch('http://127.0.0.1:' + (process.env.PORT || 8081) + '/stats')
      .then((r) => r.json())
      .then((s) => process.exit(s.replicas.some((r) => r.replicaId.startsWith(host) && !r.draining) ? 0 : 1))
      .catch(() => process.exit(1));" 2>/dev/null
}

mapfile -t old < <(running)
count=${#old[@]}
if ((count == 0)); then
  echo "no running $service container to replace" >&2
  exit 1
fi
echo "replacing $count $service replicas one by one"
started=$(date +%s)
for id in "${old[@]}"; do
  at=$(date +%s)
  mapfile -t before < <(running)
  "${compose[@]}" up -d --no-deps --no-recreate --scale "$service=$((${#before[@]} + 1))" "$service" 2>&1 |
    sed 's/^/  compose: /'
  new=$(comm -13 <(printf '%s\n' "${before[@]}" | sort) <(running | sort) | head -n 1)
  if [[ -z "$new" ]]; then
    echo "compose started no new $service container" >&2
    exit 1
  fi
  for ((waited = 0; ; waited++)); do
    health=$(docker inspect -f '{{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}}' "$new")
    if [[ "$health" == healthy || "$health" == none ]] && registered "$new"; then break; fi
    if ((waited >= ready_timeout)); then
      echo "new $service container ${new:0:12} not ready after ${ready_timeout} s ($health); old ${id:0:12} left running" >&2
      exit 1
    fi
    sleep 1
  done
  sleep "$settle"
  docker stop -t "$stop_timeout" "$id" >/dev/null
  docker rm "$id" >/dev/null
  echo "${id:0:12} replaced by ${new:0:12} in $(($(date +%s) - at)) s"
done
echo "$count $service replicas replaced in $(($(date +%s) - started)) s"
