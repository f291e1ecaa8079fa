#!/bin/sh
# Entrypoint for the dynapharm/haproxy:2 stand-in.
#   docker run img              -> haproxy -W -db -f /usr/local/etc/haproxy/haproxy.cfg
#   docker run img -f /x.cfg    -> haproxy -W -db -f /x.cfg
#   docker run img sh           -> runs that command unchanged
set -e

case "${1:-}" in
  -*) set -- haproxy "$@" ;;
esac

if [ "${1:-}" = "haproxy" ]; then
  shift
  # Master-worker mode, stay in the foreground (no daemonising).
  set -- haproxy -W -db "$@"
fi

exec "$@"
