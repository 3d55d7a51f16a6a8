#!/bin/bash
# t0320-apache-cgid.sh: examples/apache-cgid through a real apache2 with
# mod_cgid, over HTTPS, real swarm; CGIPassAuth is what lets the token in
set -eu
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "${0%/*}/../lib.sh"
# shellcheck source-path=SCRIPTDIR source=../webserver.sh
. "${0%/*}/../webserver.sh"

# Apache runs the program as its own user.
ws_setup_for www-data
site=$WS_EXAMPLES/apache-cgid/deployer-site.conf
export APACHE_MODS=cgid

ws_apache_start apache "$site"
ws_cases "apache mod_cgid"
ws_wait_case "apache mod_cgid"
ws_stop apache

# The same site without CGIPassAuth: the right token never arrives.
grep -v 'CGIPassAuth On' "$site" >"$WORK/no-passauth.conf"
is "$(grep -c '^[[:space:]]*CGIPassAuth' "$WORK/no-passauth.conf")" 0 \
    "the site without its CGIPassAuth line"
ws_apache_start apache-nopass "$WORK/no-passauth.conf"
ws_token_withheld "without CGIPassAuth"
AUTH=$WS_TOKEN hreq GET /health
is "$STATUS" 200 "... while the program itself runs fine"
ws_stop apache-nopass

ws_lowered "$site" "$WORK/short.conf" \
    's/CGIDScriptTimeout 960/CGIDScriptTimeout 2/' 'CGIDScriptTimeout 2$'
ws_apache_start apache-short "$WORK/short.conf"
ws_timeout_case "apache mod_cgid"
ws_stop apache-short

ws_no_sanitizer_reports
done_testing
