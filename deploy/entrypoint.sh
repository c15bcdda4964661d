#!/bin/sh
# Found the studio's DAO on first start (an empty /data), then run the command given.
set -eu
if [ ! -f /data/workspace/deployment.json ]; then
    atelier init
fi
exec "$@"
