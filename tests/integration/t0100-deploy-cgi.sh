#!/bin/bash
# t0100-deploy-cgi.sh: the deploy endpoint as a CGI program, real swarm
set -eu
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "${0%/*}/../lib.sh"
MODE=cgi
# shellcheck source=deploy-cases.sh
. "${0%/*}/deploy-cases.sh"
