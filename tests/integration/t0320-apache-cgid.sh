#!/bin/bash
# t0320-apache-cgid.sh: examples/apache-cgid through a real apache2 with
# mod_cgid, over HTTPS, real swarm; CGIPassAuth is what lets the token in
set -eu
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "${0%/*}/../lib.sh"
# shellcheck source-path=SCRIPTDIR source=../webserver.sh
. "${0%/*}/../webserver.sh"

ws_setup
ws_create_web
ws_create_slow
# Apache runs the program as its own user.
ws_config www-data
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
AUTH=$WS_TOKEN hreq PUT /service/web '{"image": "local/app:v2"}'
is "$STATUS" 401 "without CGIPassAuth: the right token gets 401"
is "$(json_get error)" "missing Authorization header" \
    "... because Apache kept the header from the program"
is "$(svc_image web)" local/app:v1 "... and nothing changed"
AUTH=$WS_TOKEN hreq GET /health
is "$STATUS" 200 "... while the program itself runs fine"
ws_stop apache-nopass

sed 's/CGIDScriptTimeout 960/CGIDScriptTimeout 2/' "$site" >"$WORK/short.conf"
is "$(grep -c 'CGIDScriptTimeout 2$' "$WORK/short.conf")" 1 \
    "the site with CGIDScriptTimeout lowered"
ws_apache_start apache-short "$WORK/short.conf"
ws_timeout_case "apache mod_cgid"
ws_stop apache-short

ws_no_sanitizer_reports
done_testing
