#!/usr/bin/env bash
# deploy/docker/with-secrets.sh - installed as sp-with-secrets, the
# entrypoint of the services in docker-compose.yml: exports SP_REDIS_URL
# from SP_SECRETS_DIR/redis.url (default /secrets, the container's own
# volume the `secrets` one-shot fills) when that file exists, then runs the
# command. The Redis URL setting has no password-file form, so the
# password reaches the service through its environment (docs/security.md).
#
#   sp-with-secrets COMMAND [ARGS...]
set -euo pipefail
dir=${SP_SECRETS_DIR:-/secrets}
if [ -f "$dir/redis.url" ]; then
    IFS= read -r SP_REDIS_URL <"$dir/redis.url"
    export SP_REDIS_URL
fi
exec "$@"
