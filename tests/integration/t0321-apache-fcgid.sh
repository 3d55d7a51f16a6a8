#!/bin/bash
# t0321-apache-fcgid.sh: examples/apache-fcgid through a real apache2 with
# mod_fcgid, over HTTPS, real swarm; FcgidPassHeader (or CGIPassAuth) is
# what lets the token in
set -eu
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "${0%/*}/../lib.sh"
# shellcheck source-path=SCRIPTDIR source=../webserver.sh
. "${0%/*}/../webserver.sh"

# mod_fcgid runs the program as Apache's user.
ws_setup_for www-data
site=$WS_EXAMPLES/apache-fcgid/deployer-site.conf
export APACHE_MODS=fcgid

ws_apache_start apache "$site"
ap=$BG_PID
ws_cases "apache mod_fcgid"
mapfile -t pids < <(ws_tree_pids "$ap" deployer)
ws_cases "apache mod_fcgid, again"
ws_wait_case "apache mod_fcgid"
AUTH=$WS_TOKEN hreq PUT /service/web "{\"image\": \"$(printf '%0140000d' 0)\"}"
is "$STATUS" 500 "a body over FcgidMaxRequestLen: mod_fcgid's 500"
like "$(hdr_get Content-Type)" '^text/html' "... without calling the program"
mapfile -t again < <(ws_tree_pids "$ap" deployer)
like "${#pids[@]}" '^[12]$' \
    "mod_fcgid: one or two deployer processes (MaxProcesses 2)"
is "${again[*]}" "${pids[*]}" \
    "mod_fcgid: the same processes served every request"
is "$(ws_proc_ids "${pids[0]}")" "www-data docker docker" \
    "mod_fcgid: they run as Apache's user and group"
ws_stop apache

# The same site without FcgidPassHeader: the right token never arrives.
grep -v '^[[:space:]]*FcgidPassHeader Authorization' "$site" \
    >"$WORK/no-passheader.conf"
is "$(grep -c '^[[:space:]]*\(FcgidPassHeader\|CGIPassAuth\)' \
    "$WORK/no-passheader.conf")" 0 "the site without its FcgidPassHeader line"
ws_apache_start apache-nopass "$WORK/no-passheader.conf"
ws_token_withheld "without FcgidPassHeader"
ws_stop apache-nopass

# ... and with CGIPassAuth On in the <Location> instead, as the site says.
sed 's/^\([[:space:]]*\)SetHandler fcgid-script/&\n\1CGIPassAuth On/' \
    "$WORK/no-passheader.conf" >"$WORK/passauth.conf"
is "$(grep -c '^[[:space:]]*CGIPassAuth On' "$WORK/passauth.conf")" 1 \
    "the site with CGIPassAuth On instead"
ws_apache_start apache-passauth "$WORK/passauth.conf"
AUTH=$WS_TOKEN hreq PUT /service/web '{"image": "local/app:v2"}'
is "$STATUS" 200 "with CGIPassAuth On instead: 200"
is "$(svc_image web)" local/app:v2 "... deployed"
ws_stop apache-passauth

ws_lowered "$site" "$WORK/short.conf" 's/IOTimeout 960$/IOTimeout 2/' \
    'IOTimeout 2$'
ws_apache_start apache-short "$WORK/short.conf"
ws_timeout_case "apache mod_fcgid"
ws_stop apache-short

ws_no_sanitizer_reports
done_testing
