#!/bin/bash
# t0101-deploy-fcgi.sh: the deploy endpoint as one FastCGI process, real swarm
set -eu
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "${0%/*}/../lib.sh"
MODE=fcgi
# shellcheck source=deploy-cases.sh
. "${0%/*}/deploy-cases.sh"
