#!/bin/bash
# floor-curl.sh: one deploy the way a shell script talks to the Docker API
#
#   floor-curl.sh API SERVICE IMAGE [CURL-ARGS...]
#
# API is the versioned API root, http://localhost/v1.41 with
# CURL-ARGS "--unix-socket /path/docker.sock" (directly), or
# https://127.0.0.1:PORT/v1.41 with "--cacert FILE" (through nginx).
#
# The same Docker calls the deployer makes, as separate curl processes: pin
# the tag to a digest (GET /distribution), read the service, post its spec
# back with the image (tag@digest) and the image's platforms changed.  One
# jq edits the spec.  No /_ping: the API version is fixed by the caller, as
# a script would hard-code it.  Exit status 0 only when Docker took the
# update.
set -euo pipefail
api=$1 svc=$2 image=$3
shift 3
dist=$(curl -sS --fail "$@" "$api/distribution/$image/json")
cur=$(curl -sS --fail "$@" "$api/services/$svc?insertDefaults=false")
# Two lines: the version to update, and the edited spec.
{
	read -r version
	read -r spec
} < <(printf '%s\n%s\n' "$dist" "$cur" | jq -r -c -s --arg img "$image" '
    .[0] as $d | .[1] as $s | $s.Version.Index,
    ($s.Spec
      | .TaskTemplate.ContainerSpec.Image = ($img + "@" + $d.Descriptor.digest)
      | .TaskTemplate.Placement.Platforms =
          [$d.Platforms[] | {Architecture: .architecture, OS: .os}])')
printf '%s' "$spec" | curl -sS --fail -o /dev/null "$@" -X POST \
    -H 'Content-Type: application/json' --data-binary @- \
    "$api/services/$svc/update?version=$version&registryAuthFrom=spec"
