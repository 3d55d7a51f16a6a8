#!/bin/sh
# deploy.sh: deploy an image and wait for the rollout; fail when it fails
#
#   DEPLOY_URL=https://deploy.example.com/deploy DEPLOY_TOKEN=... \
#       deploy.sh SERVICE IMAGE [WAIT]
#
# One curl: PUT /service/SERVICE?wait=WAIT (default 600 seconds) answers
# when Swarm has finished the rollout.  --fail-with-body makes curl exit
# non-zero (22) on any answer that is not 2xx (a refused token, an unknown
# service, a rollout that failed and was rolled back: 502, one still running
# at the deadline: 504) and still print deployer's JSON saying why; plain
# --fail (curl before 7.76) exits the same way, without the JSON.  The token
# goes to curl on its standard input (--header @-), not on its command line,
# where other users of the machine could read it.
set -eu
[ $# -ge 2 ] || {
	echo "usage: DEPLOY_URL=... DEPLOY_TOKEN=... deploy.sh SERVICE IMAGE" \
	    "[WAIT]" >&2
	exit 2
}
wait=${3:-600}
printf 'Authorization: Bearer %s\n' "$DEPLOY_TOKEN" |
curl --fail-with-body --silent --show-error --max-time $((wait + 60)) \
    --header @- --header 'Content-Type: application/json' \
    --request PUT --data "{\"image\": \"$2\"}" \
    "$DEPLOY_URL/service/$1?wait=$wait"
echo
