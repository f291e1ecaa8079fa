#!/usr/bin/env bash
# Entrypoint for the dynapharm/redis:7 stand-in.
#   docker run img                          -> redis-server with container defaults
#   docker run img --requirepass s3cret     -> same, plus the given options
#   docker run img redis-server /x.conf ... -> defaults, then /x.conf, then options
#   docker run img redis-cli ...            -> runs that command unchanged
set -Eeuo pipefail

if [ "${1:-}" = "" ] || [ "${1:0:1}" = "-" ] || [[ "$1" == *.conf ]]; then
  set -- redis-server "$@"
fi

if [ "$1" != "redis-server" ]; then
  exec "$@"
fi
shift

# Build one config file: our defaults first, then the user's file (if any), so
# that settings in the user's file win. Command-line options win over both.
combined="$(mktemp /tmp/redis-XXXXXX.conf)"
echo "include /usr/local/etc/redis/defaults.conf" >"$combined"
if [ "$#" -gt 0 ] && [ "${1:0:1}" != "-" ]; then
  echo "include $(readlink -f "$1")" >>"$combined"
  shift
fi
chmod 0644 "$combined"

if [ "$(id -u)" = 0 ]; then
  # Writable data dir for persistence mounts, then drop privileges.
  chown redis:redis /data 2>/dev/null || true
  exec setpriv --reuid=redis --regid=redis --init-groups redis-server "$combined" "$@"
fi
exec redis-server "$combined" "$@"
