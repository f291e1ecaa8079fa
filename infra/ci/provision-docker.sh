#!/usr/bin/env bash
# Provision a local Docker engine plus offline stand-in images for CI.
#
# The CI sandbox can reach only the npm registry and the Debian mirror, so no
# image can be pulled from any container registry. Instead this script:
#   1. installs docker.io, debootstrap and docker-compose (v1) from Debian
#      when they are missing,
#   2. starts dockerd in the background when no daemon answers,
#   3. builds a Debian bookworm base image with debootstrap (cached tarball),
#   4. builds postgres / redis / haproxy / pgbouncer stand-ins from Debian packages, the
#      monitoring stand-ins (prometheus, alertmanager, redis / postgres / node
#      exporters) from Debian's prometheus* packages, and a node stand-in from
#      the host's own Node binary (the base of the app images in
#      infra/docker/Dockerfile),
#   5. prints the resulting image names.
#
# Usage:
#   infra/ci/provision-docker.sh          # provision, then print one line per image
#   infra/ci/provision-docker.sh --env    # provision, print only `export ...` lines
#                                         # (progress goes to stderr), e.g.
#                                         #   eval "$(infra/ci/provision-docker.sh --env)"
#   infra/ci/provision-docker.sh --mirrors  # only print the Debian mirrors it would use
#
# Debian mirrors come from the variables below, else from the host's apt
# sources (one-line *.list and deb822 *.sources): the first entry with the
# main component for the bookworm suite (or, failing that, one whose URI ends
# in /debian), and likewise bookworm-security (/debian-security). No mirror is
# built in: without one the script stops and says so.
#
# Tunables (environment):
#   DYNAPHARM_DEBIAN_MIRROR     Debian mirror URL (default: taken from host apt sources)
#   DYNAPHARM_DEBIAN_SECURITY   security mirror URL (default: taken from host apt sources)
#   DYNAPHARM_APT_DIR           where the host apt sources are read (default /etc/apt)
#   DYNAPHARM_STORAGE_DRIVER    force a dockerd storage driver (default: probe overlay2, else vfs)
#   DYNAPHARM_DOCKERD_LOG       dockerd log file (default /var/log/dynapharm-dockerd.log)
#   DYNAPHARM_CACHE_DIR         cache dir for the rootfs tarball (default /var/cache/dynapharm)
#   DYNAPHARM_FORCE_REBUILD=1   rebuild all images even when they look current
#   DYNAPHARM_NODE_BINARY       Node binary put into the node stand-in (default: `node` on PATH)
#
# Idempotent: a second run reuses the daemon, the cached tarball and the images.
# Any failure ends with a loud message on stderr and a non-zero exit status.

set -Eeuo pipefail

MODE="images"
case "${1:-}" in
  --env) MODE="env" ;;
  "") ;;
  --mirrors) MODE="mirrors" ;;
  -h|--help) sed -n '2,41p' "$0"; exit 0 ;;
  *) echo "provision-docker.sh: unknown argument '$1' (expected nothing, --env or --mirrors)" >&2; exit 2 ;;
esac

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$SCRIPT_DIR/../.." && pwd)"
STAND_INS_DIR="$REPO_ROOT/infra/docker/stand-ins"

SUITE="bookworm"
BASE_IMAGE="dynapharm/debian:bookworm"
POSTGRES_IMAGE="dynapharm/postgres:15"
REDIS_IMAGE="dynapharm/redis:7"
HAPROXY_IMAGE="dynapharm/haproxy:2"
PGBOUNCER_IMAGE="dynapharm/pgbouncer:1"
NODE_IMAGE="dynapharm/node:lts"
PROMETHEUS_IMAGE="dynapharm/prometheus:2"
ALERTMANAGER_IMAGE="dynapharm/alertmanager:0"
REDIS_EXPORTER_IMAGE="dynapharm/redis-exporter:1"
POSTGRES_EXPORTER_IMAGE="dynapharm/postgres-exporter:0"
NODE_EXPORTER_IMAGE="dynapharm/node-exporter:1"
HASH_LABEL="org.dynapharm.context-hash"
# Bump when the rootfs customisation below changes, so the cached tarball is redone.
ROOTFS_RECIPE_VERSION="1"

CACHE_DIR="${DYNAPHARM_CACHE_DIR:-/var/cache/dynapharm}"
DOCKERD_LOG="${DYNAPHARM_DOCKERD_LOG:-/var/log/dynapharm-dockerd.log}"
DOCKERD_PIDFILE="/var/run/dynapharm-dockerd.pid"
DOCKERD_WAIT_SECONDS=60

START_TS=$(date +%s)

log() { printf '[provision-docker %3ss] %s\n' "$(( $(date +%s) - START_TS ))" "$*" >&2; }

die() {
  {
    echo
    echo "######################################################################"
    echo "## PROVISION-DOCKER FAILED: $*"
    echo "## dockerd log: $DOCKERD_LOG"
    echo "## The Docker-based test setup is NOT available on this machine."
    echo "######################################################################"
  } >&2
  exit 1
}

on_err() {
  local status=$? line=$1 cmd=$2
  # Inside $(...) just propagate; the parent shell reports the failure once.
  if [ "$BASH_SUBSHELL" -gt 0 ]; then exit "$status"; fi
  trap - ERR
  die "command failed (exit $status) at line $line: $cmd"
}
trap 'on_err "$LINENO" "$BASH_COMMAND"' ERR

# ---------------------------------------------------------------------------
# Debian mirrors
# ---------------------------------------------------------------------------
APT_DIR="${DYNAPHARM_APT_DIR:-/etc/apt}"

# One line "<uri> <suite> <components...>" per suite of every enabled "deb"
# entry of the host apt sources, in apt's reading order.
host_apt_entries() {
  local f
  for f in "$APT_DIR/sources.list" "$APT_DIR"/sources.list.d/*.list; do
    [ -f "$f" ] || continue
    # deb [ options ] uri suite components...; the options may hold spaces.
    awk '$1 == "deb" {
           i = 2
           if ($i ~ /^\[/) { while (i <= NF && $i !~ /\]$/) i++; i++ }
           if (i + 1 > NF) next
           line = $i " " $(i + 1)
           for (k = i + 2; k <= NF && $k !~ /^#/; k++) line = line " " $k
           print line
         }' "$f"
  done
  for f in "$APT_DIR"/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    # deb822: blank-line separated stanzas; field names are case-insensitive.
    awk 'BEGIN { RS = ""; FS = "\n" }
         {
           types = ""; uris = ""; suites = ""; comps = ""; enabled = "yes"
           for (i = 1; i <= NF; i++) {
             line = $i; low = tolower(line)
             if (low ~ /^types:/)      { types = line; sub(/^[^:]*:[ \t]*/, "", types) }
             if (low ~ /^uris:/)       { uris = line; sub(/^[^:]*:[ \t]*/, "", uris) }
             if (low ~ /^suites:/)     { suites = line; sub(/^[^:]*:[ \t]*/, "", suites) }
             if (low ~ /^components:/) { comps = line; sub(/^[^:]*:[ \t]*/, "", comps) }
             if (low ~ /^enabled:[ \t]*no/) { enabled = "no" }
           }
           if (enabled != "yes" || (" " types " ") !~ /[ \t]deb[ \t]/) next
           nu = split(uris, u, /[ \t]+/); ns = split(suites, s, /[ \t]+/)
           for (a = 1; a <= nu; a++) for (b = 1; b <= ns; b++)
             if (u[a] != "" && s[b] != "") print u[a], s[b], comps
         }' "$f"
  done
}

# The first URI carrying suite $1 with the "main" component, else the first
# such URI whose path ends in $2. Requiring "main" keeps out third-party
# repositories that reuse Debian's suite names (Docker's, for one).
pick_mirror() {
  local want_suite=$1 want_path=$2 uri suite comps by_path=""
  while read -r uri suite comps; do
    uri="${uri%/}"
    case " $comps " in *" main "*) ;; *) continue ;; esac
    if [ "$suite" = "$want_suite" ]; then echo "$uri"; return 0; fi
    case "$uri" in */"$want_path") [ -n "$by_path" ] || by_path="$uri" ;; esac
  done < <(host_apt_entries)
  [ -n "$by_path" ] && echo "$by_path"
  return 0
}

MIRROR="${DYNAPHARM_DEBIAN_MIRROR:-$(pick_mirror "$SUITE" debian)}"
SECURITY_MIRROR="${DYNAPHARM_DEBIAN_SECURITY:-$(pick_mirror "$SUITE-security" debian-security)}"
if [ -z "$MIRROR" ]; then
  {
    echo "provision-docker.sh: no Debian mirror found for debootstrap."
    echo "  The host's apt sources ($APT_DIR/sources.list, $APT_DIR/sources.list.d/*.list and *.sources)"
    echo "  have no enabled 'deb' entry for the $SUITE suite nor a URI ending in /debian."
    echo "  Set DYNAPHARM_DEBIAN_MIRROR to the Debian mirror to use (and DYNAPHARM_DEBIAN_SECURITY for security updates)."
  } >&2
  [ "$MODE" = mirrors ] && exit 1
  die "no Debian mirror for debootstrap (see above)"
fi
if [ "$MODE" = mirrors ]; then
  echo "DEBIAN_MIRROR=$MIRROR"
  echo "DEBIAN_SECURITY=$SECURITY_MIRROR"
  exit 0
fi

[ "$(id -u)" = 0 ] || die "must run as root (needs apt-get, dockerd, debootstrap)"

mkdir -p "$CACHE_DIR"
# Serialise concurrent runs (two CI steps calling this at once).
exec 9>"$CACHE_DIR/.provision.lock"
if command -v flock >/dev/null 2>&1; then
  flock -w 900 9 || die "timed out waiting for another provision-docker.sh run"
fi

# ---------------------------------------------------------------------------
# 1. packages
# ---------------------------------------------------------------------------
need_pkgs=()
command -v dockerd >/dev/null 2>&1 || need_pkgs+=(docker.io)
command -v debootstrap >/dev/null 2>&1 || need_pkgs+=(debootstrap)
# Compose v1 (Python): bookworm has no v2 plugin, and docker-compose.yml is
# written to work with both.
if ! command -v docker-compose >/dev/null 2>&1 && ! docker compose version >/dev/null 2>&1; then
  need_pkgs+=(docker-compose)
fi
if [ "${#need_pkgs[@]}" -gt 0 ]; then
  log "installing ${need_pkgs[*]} via apt"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2 || die "apt-get update failed"
  apt-get install -y -qq --no-install-recommends "${need_pkgs[@]}" >&2 \
    || die "apt-get install ${need_pkgs[*]} failed"
  # Never let a packaged service unit fight with the daemon we start below.
  if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
    systemctl disable --now docker.service docker.socket >/dev/null 2>&1 || true
  fi
fi

# Prefer the client shipped with the daemon (same API level, classic builder).
if [ -x /usr/bin/docker ]; then
  DOCKER=/usr/bin/docker
elif command -v docker >/dev/null 2>&1; then
  DOCKER="$(command -v docker)"
else
  die "no docker client found after installing docker.io"
fi
export DOCKER_BUILDKIT=0

# ---------------------------------------------------------------------------
# 2. dockerd
# ---------------------------------------------------------------------------
docker_answers() { "$DOCKER" info >/dev/null 2>&1; }

probe_overlay() {
  # overlay2 needs a kernel overlay mount on the filesystem holding /var/lib/docker.
  local t
  grep -qw overlay /proc/filesystems 2>/dev/null || modprobe overlay >/dev/null 2>&1 || true
  mkdir -p /var/lib/docker
  t="$(mktemp -d /var/lib/docker/.overlay-probe.XXXXXX)"
  mkdir -p "$t/l" "$t/u" "$t/w" "$t/m"
  if mount -t overlay overlay -o "lowerdir=$t/l,upperdir=$t/u,workdir=$t/w" "$t/m" >/dev/null 2>&1; then
    umount "$t/m"
    rm -rf "$t"
    return 0
  fi
  rm -rf "$t"
  return 1
}

iptables_flags() {
  # Published ports and name resolution on user-defined networks need iptables.
  if iptables -t nat -S >/dev/null 2>&1; then
    return 0
  fi
  if [ -x /usr/sbin/iptables-legacy ] && /usr/sbin/iptables-legacy -t nat -S >/dev/null 2>&1; then
    log "nf_tables iptables unusable here, switching alternatives to iptables-legacy"
    update-alternatives --set iptables /usr/sbin/iptables-legacy >/dev/null 2>&1 || true
    update-alternatives --set ip6tables /usr/sbin/ip6tables-legacy >/dev/null 2>&1 || true
    return 0
  fi
  log "WARNING: iptables unusable; starting dockerd with --iptables=false"
  log "WARNING: published ports still work via docker-proxy, but container DNS on user networks may not"
  echo "--iptables=false"
}

start_dockerd() {
  local driver=$1; shift
  local pid
  log "starting dockerd --storage-driver=$driver${*:+ $*} (log: $DOCKERD_LOG)"
  mkdir -p "$(dirname "$DOCKERD_LOG")"
  echo "=== $(date -u +%FT%TZ) provision-docker.sh: dockerd --storage-driver=$driver $* ===" >>"$DOCKERD_LOG"
  setsid nohup dockerd \
    --host=unix:///var/run/docker.sock \
    --storage-driver="$driver" \
    --pidfile="$DOCKERD_PIDFILE" \
    "$@" </dev/null >>"$DOCKERD_LOG" 2>&1 9>&- &
  pid=$!
  local waited=0
  while [ "$waited" -lt "$DOCKERD_WAIT_SECONDS" ]; do
    if docker_answers; then
      log "dockerd (pid $pid) answers after ${waited}s"
      return 0
    fi
    if ! kill -0 "$pid" 2>/dev/null; then
      log "dockerd (pid $pid) exited during start-up; last log lines:"
      tail -n 15 "$DOCKERD_LOG" >&2 || true
      return 1
    fi
    sleep 1
    waited=$((waited + 1))
  done
  log "dockerd (pid $pid) did not answer within ${DOCKERD_WAIT_SECONDS}s; stopping it"
  kill "$pid" 2>/dev/null || true
  sleep 2
  return 1
}

if docker_answers; then
  log "docker daemon already answering; reusing it"
else
  # A stale pidfile from a killed daemon blocks the next start.
  if [ -f "$DOCKERD_PIDFILE" ] && ! kill -0 "$(cat "$DOCKERD_PIDFILE" 2>/dev/null)" 2>/dev/null; then
    rm -f "$DOCKERD_PIDFILE"
  fi
  extra_flags=()
  flag="$(iptables_flags)"
  if [ -n "$flag" ]; then extra_flags+=("$flag"); fi
  if [ -n "${DYNAPHARM_STORAGE_DRIVER:-}" ]; then
    drivers=("$DYNAPHARM_STORAGE_DRIVER")
  elif probe_overlay; then
    drivers=(overlay2 vfs)
  else
    log "overlay mounts do not work here; using the vfs storage driver (slower, more disk)"
    drivers=(vfs)
  fi
  started=""
  for d in "${drivers[@]}"; do
    if start_dockerd "$d" ${extra_flags[@]+"${extra_flags[@]}"}; then
      started="$d"
      break
    fi
  done
  [ -n "$started" ] || die "could not start dockerd with any of: ${drivers[*]}"
fi

# ---------------------------------------------------------------------------
# 3. base image via debootstrap
# ---------------------------------------------------------------------------
image_exists() { "$DOCKER" image inspect "$1" >/dev/null 2>&1; }

log "Debian mirror: $MIRROR${SECURITY_MIRROR:+ (security: $SECURITY_MIRROR)}"

# Mirror hosts the image builds must reach. If the host resolves them through
# /etc/hosts, containers would not, so pin them into the build containers.
ADD_HOST_ARGS=()
for u in "$MIRROR" "$SECURITY_MIRROR"; do
  [ -n "$u" ] || continue
  h="${u#*://}"; h="${h%%/*}"; h="${h%%:*}"
  case " ${ADD_HOST_ARGS[*]-} " in *" $h:"*) continue ;; esac
  ip="$( (getent ahostsv4 "$h" 2>/dev/null || true) | awk 'NR == 1 { print $1 }')"
  if [ -n "$ip" ]; then ADD_HOST_ARGS+=("--add-host" "$h:$ip"); fi
done

build_rootfs_tarball() {
  local tarball=$1 root
  root="$CACHE_DIR/rootfs-$SUITE.tmp"
  if [ -d "$root" ]; then
    # Leftovers of an interrupted run: make sure nothing is still mounted inside.
    awk -v r="$root" '$2 ~ "^"r { print $2 }' /proc/mounts | sort -r | while read -r m; do umount -l "$m" || true; done
    rm -rf "$root"
  fi
  log "debootstrap --variant=minbase $SUITE from $MIRROR (first run only, takes a few minutes)"
  if ! debootstrap --variant=minbase "$SUITE" "$root" "$MIRROR" >"$CACHE_DIR/debootstrap.log" 2>&1; then
    tail -n 30 "$CACHE_DIR/debootstrap.log" >&2 || true
    die "debootstrap failed (full log: $CACHE_DIR/debootstrap.log)"
  fi
  awk -v r="$root" '$2 ~ "^"r { print $2 }' /proc/mounts | sort -r | while read -r m; do umount -l "$m" || true; done

  # apt sources for Dockerfiles built on top of this image.
  {
    echo "deb $MIRROR $SUITE main"
    echo "deb $MIRROR $SUITE-updates main"
    if [ -n "$SECURITY_MIRROR" ]; then echo "deb $SECURITY_MIRROR $SUITE-security main"; fi
  } >"$root/etc/apt/sources.list"
  rm -f "$root"/etc/apt/sources.list.d/*
  cat >"$root/etc/apt/apt.conf.d/90dynapharm" <<'EOF'
APT::Install-Recommends "false";
APT::Install-Suggests "false";
Acquire::Retries "3";
Dpkg::Use-Pty "0";
EOF
  # Packages must not try to start services while an image is being built.
  printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
  chmod 0755 "$root/usr/sbin/policy-rc.d"
  rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/archives/*.deb "$root"/var/log/*.log
  : >"$root/etc/resolv.conf"
  rm -f "$root/etc/hostname"

  tar -C "$root" --numeric-owner -cf "$tarball.partial" .
  mv "$tarball.partial" "$tarball"
  rm -rf "$root"
}

base_key="$(printf '%s|%s|%s|%s' "$SUITE" "$MIRROR" "$SECURITY_MIRROR" "$ROOTFS_RECIPE_VERSION" | sha256sum | cut -c1-12)"
if image_exists "$BASE_IMAGE" && [ "${DYNAPHARM_FORCE_REBUILD:-0}" != 1 ] \
   && [ "$("$DOCKER" image inspect -f "{{ index .Config.Labels \"$HASH_LABEL\" }}" "$BASE_IMAGE" 2>/dev/null || true)" = "$base_key" ]; then
  log "$BASE_IMAGE present; skipping debootstrap"
else
  tarball="$CACHE_DIR/debian-$SUITE-minbase-$base_key.tar"
  if [ -s "$tarball" ]; then
    log "reusing cached rootfs $tarball"
  else
    build_rootfs_tarball "$tarball"
  fi
  log "importing $BASE_IMAGE"
  "$DOCKER" import \
    --change "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
    --change "ENV LANG=C.UTF-8" \
    --change "LABEL $HASH_LABEL=$base_key" \
    --change 'CMD ["/bin/bash"]' \
    - "$BASE_IMAGE" <"$tarball" >/dev/null
fi
BASE_ID="$("$DOCKER" image inspect -f '{{ .Id }}' "$BASE_IMAGE")"

# ---------------------------------------------------------------------------
# 4. stand-in images
# ---------------------------------------------------------------------------
context_hash() {
  # Hash of every file (path + content) in the build context plus the base image id.
  local dir=$1
  {
    echo "$BASE_ID"
    (cd "$dir" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum)
  } | sha256sum | cut -c1-16
}

build_stand_in() {
  local image=$1 dir=$2 want have
  [ -f "$dir/Dockerfile" ] || die "missing $dir/Dockerfile"
  want="$(context_hash "$dir")"
  have="$("$DOCKER" image inspect -f "{{ index .Config.Labels \"$HASH_LABEL\" }}" "$image" 2>/dev/null || true)"
  if [ "$have" = "$want" ] && [ "${DYNAPHARM_FORCE_REBUILD:-0}" != 1 ]; then
    log "$image up to date (context $want)"
    return 0
  fi
  log "building $image from ${dir#"$REPO_ROOT"/} (context $want)"
  local build_log="$CACHE_DIR/build-$(basename "$dir").log"
  if ! "$DOCKER" build --pull=false --rm --force-rm \
        ${ADD_HOST_ARGS[@]+"${ADD_HOST_ARGS[@]}"} \
        --build-arg "BASE_IMAGE=$BASE_IMAGE" \
        --label "$HASH_LABEL=$want" \
        -t "$image" "$dir" >"$build_log" 2>&1; then
    tail -n 40 "$build_log" >&2 || true
    die "docker build of $image failed (full log: $build_log)"
  fi
}

build_stand_in "$POSTGRES_IMAGE" "$STAND_INS_DIR/postgres"
build_stand_in "$REDIS_IMAGE" "$STAND_INS_DIR/redis"
build_stand_in "$HAPROXY_IMAGE" "$STAND_INS_DIR/haproxy"
build_stand_in "$PGBOUNCER_IMAGE" "$STAND_INS_DIR/pgbouncer"
build_stand_in "$PROMETHEUS_IMAGE" "$STAND_INS_DIR/prometheus"
build_stand_in "$ALERTMANAGER_IMAGE" "$STAND_INS_DIR/alertmanager"
build_stand_in "$REDIS_EXPORTER_IMAGE" "$STAND_INS_DIR/redis-exporter"
build_stand_in "$POSTGRES_EXPORTER_IMAGE" "$STAND_INS_DIR/postgres-exporter"
build_stand_in "$NODE_EXPORTER_IMAGE" "$STAND_INS_DIR/node-exporter"

# The node stand-in carries the host's Node binary, so its build context is
# assembled outside the repository; the binary is part of the context hash, so
# a Node upgrade on the host rebuilds the image. Official and NodeSource
# binaries need only libc, libstdc++ and libgcc, all in minbase; Debian's own
# nodejs links a shared libnode and is refused.
build_node_stand_in() {
  local node_bin ctx
  node_bin="${DYNAPHARM_NODE_BINARY:-$(command -v node || true)}"
  [ -n "$node_bin" ] || die "no node binary on PATH for the $NODE_IMAGE stand-in (set DYNAPHARM_NODE_BINARY)"
  node_bin="$(readlink -f "$node_bin")"
  if ldd "$node_bin" 2>/dev/null | grep -q 'libnode'; then
    die "$node_bin links a shared libnode (Debian's nodejs package); use an official or NodeSource build"
  fi
  ctx="$CACHE_DIR/node-stand-in"
  rm -rf "$ctx"
  mkdir -p "$ctx"
  cp "$STAND_INS_DIR/node/Dockerfile" "$ctx/Dockerfile"
  cp "$node_bin" "$ctx/node"
  chmod 0755 "$ctx/node"
  build_stand_in "$NODE_IMAGE" "$ctx"
  rm -rf "$ctx"
}
build_node_stand_in

# Drop dangling layers left by rebuilds (cheap, keeps disk use flat across runs).
"$DOCKER" image prune -f --filter "label=$HASH_LABEL" >/dev/null 2>&1 || true

# ---------------------------------------------------------------------------
# 5. report
# ---------------------------------------------------------------------------
log "done in $(( $(date +%s) - START_TS ))s"
if [ "$MODE" = env ]; then
  echo "export POSTGRES_IMAGE=$POSTGRES_IMAGE"
  echo "export REDIS_IMAGE=$REDIS_IMAGE"
  echo "export HAPROXY_IMAGE=$HAPROXY_IMAGE"
  echo "export PGBOUNCER_IMAGE=$PGBOUNCER_IMAGE"
  echo "export NODE_IMAGE=$NODE_IMAGE"
  echo "export PROMETHEUS_IMAGE=$PROMETHEUS_IMAGE"
  echo "export ALERTMANAGER_IMAGE=$ALERTMANAGER_IMAGE"
  echo "export REDIS_EXPORTER_IMAGE=$REDIS_EXPORTER_IMAGE"
  echo "export POSTGRES_EXPORTER_IMAGE=$POSTGRES_EXPORTER_IMAGE"
  echo "export NODE_EXPORTER_IMAGE=$NODE_EXPORTER_IMAGE"
  echo "export TESTCONTAINERS_RYUK_DISABLED=true"
else
  for img in "$BASE_IMAGE" "$POSTGRES_IMAGE" "$REDIS_IMAGE" "$HAPROXY_IMAGE" "$PGBOUNCER_IMAGE" "$NODE_IMAGE" \
    "$PROMETHEUS_IMAGE" "$ALERTMANAGER_IMAGE" "$REDIS_EXPORTER_IMAGE" "$POSTGRES_EXPORTER_IMAGE" \
    "$NODE_EXPORTER_IMAGE"; do
    printf '%-28s %s\n' "$img" "$("$DOCKER" image inspect -f '{{ .Id }} {{ .Size }}' "$img" | awk '{ printf "%s %.0fMB", substr($1, 8, 12), $2 / 1000000 }')"
  done
fi
