#!/bin/sh
# webhook-deploy.sh: what a webhook (adnanh/webhook) setup typically runs
#
#   webhook-deploy.sh DOCKER_HOST SERVICE IMAGE
#
# The docker CLI does the deploy: it pins the tag to a digest through the
# daemon and posts the new spec; --detach: do not wait for the rollout.
set -eu
[ $# -eq 3 ] || { echo "usage: $0 DOCKER_HOST SERVICE IMAGE" >&2; exit 2; }
case $2 in
-* | *[!A-Za-z0-9_.-]*) echo "bad service name" >&2; exit 2 ;;
esac
case $3 in
-* | *[!A-Za-z0-9_.:/@-]*) echo "bad image" >&2; exit 2 ;;
esac
exec /usr/bin/docker -H "$1" service update --detach --quiet --image "$3" "$2"
