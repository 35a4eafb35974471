#!/bin/sh
# Test fixture: the entrypoint of the ZeroTier stand-in, keeping the contract of
# zyclonite/zerotier-docker scripts/entrypoint.sh (1.14.2; written here, not copied): local.conf
# is (re)written only when ZT_OVERRIDE_LOCAL_CONF=true or it does not exist yet, with
# primaryPort=ZT_PRIMARY_PORT (9993), portMappingEnabled, softwareUpdate "disable",
# allowManagementFrom = the comma-separated ZT_ALLOW_MANAGEMENT_FROM entries as written, and
# allowTcpFallbackRelay; then zerotier-one runs with the arguments (CMD -U).
set -eu
case ${1:-} in -*) set -- zerotier-one "$@" ;; esac
conf=/var/lib/zerotier-one/local.conf
mkdir -p /var/lib/zerotier-one
if [ "${ZT_OVERRIDE_LOCAL_CONF:-}" = true ] || [ ! -f "$conf" ]; then
  list=""
  # Split at commas and blanks, as upstream's unquoted ${ZT_ALLOW_MANAGEMENT_FROM//,/$IFS}.
  for entry in $(printf '%s' "${ZT_ALLOW_MANAGEMENT_FROM:-}" | tr ',' ' '); do
    list="${list:+$list,}\"$entry\""
  done
  printf '{\n  "settings": {\n    "primaryPort": %s,\n    "portMappingEnabled": %s,\n    "softwareUpdate": "disable",\n    "allowManagementFrom": [%s],\n    "allowTcpFallbackRelay": %s\n  }\n}\n' \
    "${ZT_PRIMARY_PORT:-9993}" "${ZT_PORT_MAPPING_ENABLED:-true}" "$list" "${ZT_ALLOW_TCP_FALLBACK_RELAY:-true}" > "$conf"
fi
exec "$@"
