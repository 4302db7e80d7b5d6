#!/bin/sh
# Like the official image: redis-server runs as user redis in /data, and protected mode is
# off (the official build compiles it off) so other containers on the network may connect.
set -e
if [ "$1" = redis-server ]; then
    shift
    chown -R redis:redis /data
    exec setpriv --reuid=redis --regid=redis --init-groups \
        redis-server --protected-mode no --dir /data "$@"
fi
exec "$@"
