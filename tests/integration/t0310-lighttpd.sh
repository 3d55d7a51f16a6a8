#!/bin/bash
# t0310-lighttpd.sh: examples/lighttpd-cgi (mod_cgi) and
# examples/lighttpd-fastcgi (mod_fastcgi, bin-path) through real lighttpd,
# over HTTPS, real swarm
set -eu
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "${0%/*}/../lib.sh"
# shellcheck source-path=SCRIPTDIR source=../webserver.sh
. "${0%/*}/../webserver.sh"

# lighttpd runs the program as its own user.
ws_setup_for www-data

# --- mod_cgi ----------------------------------------------------------------
ws_lighttpd_start lighttpd-cgi "$WS_EXAMPLES/lighttpd-cgi/50-deployer.conf"
ws_cases "lighttpd mod_cgi"
ws_wait_case "lighttpd mod_cgi"
ws_stop lighttpd-cgi
ws_lowered "$WS_EXAMPLES/lighttpd-cgi/50-deployer.conf" "$WORK/short-cgi.conf" \
    's/^server.max-write-idle = 960$/server.max-write-idle = 2/' \
    '^server.max-write-idle = 2$'
ws_lighttpd_start lighttpd-cgi-short "$WORK/short-cgi.conf"
# With mod_cgi, lighttpd 1.4.69 applies it to requests without a body
# only, such as a rollback; it does not cut a PUT.
AUTH=$WS_TOKEN hreq PUT /service/slow '{"image": "local/app:v3"}'
is "$STATUS" 200 "a deploy to slow, to have something to roll back"
ws_timeout_case "lighttpd mod_cgi, rollback" rollback
ws_stop lighttpd-cgi-short

# --- mod_fastcgi, bin-path ----------------------------------------------------
# lighttpd (as www-data) creates the socket in LIGHTTPD_RUNDIR.
ws_rundir run-lighttpd www-data
ws_lighttpd_start lighttpd-fcgi \
    "$WS_EXAMPLES/lighttpd-fastcgi/50-deployer.conf" \
    LIGHTTPD_RUNDIR="$WORK/run-lighttpd"
lt=$BG_PID
ws_cases "lighttpd mod_fastcgi"
mapfile -t pids < <(ws_tree_pids "$lt" deployer)
is "${#pids[@]}" 2 \
    "mod_fastcgi: lighttpd keeps max-procs (2) deployer processes"
ws_cases "lighttpd mod_fastcgi, again"
mapfile -t again < <(ws_tree_pids "$lt" deployer)
is "${again[*]}" "${pids[*]}" \
    "mod_fastcgi: the same processes served every request"
is "$(ws_proc_ids "${pids[0]}")" "www-data docker docker" \
    "mod_fastcgi: they run as lighttpd's user and group"
ws_stop lighttpd-fcgi
ws_lowered "$WS_EXAMPLES/lighttpd-fastcgi/50-deployer.conf" \
    "$WORK/short-fcgi.conf" \
    's/^server.max-write-idle = 960$/server.max-write-idle = 2/' \
    '^server.max-write-idle = 2$'
ws_rundir run-lighttpd www-data
ws_lighttpd_start lighttpd-fcgi-short "$WORK/short-fcgi.conf" \
    LIGHTTPD_RUNDIR="$WORK/run-lighttpd"
ws_timeout_case "lighttpd mod_fastcgi"
ws_stop lighttpd-fcgi-short

ws_no_sanitizer_reports
done_testing
