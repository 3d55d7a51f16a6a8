#!/bin/bash
# t0300-nginx-fcgiwrap.sh: examples/nginx-fcgiwrap through real nginx and
# fcgiwrap (socket-activated as its units say), over HTTPS, real swarm
set -eu
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "${0%/*}/../lib.sh"
# shellcheck source-path=SCRIPTDIR source=../webserver.sh
. "${0%/*}/../webserver.sh"

ws_need fcgiwrap cgi-fcgi
ws_setup_for nobody
ex=$WS_EXAMPLES/nginx-fcgiwrap

ws_systemd_verify "$ex/deployer-fcgiwrap.service" "$ex/deployer-fcgiwrap.socket"
ws_rundir run
ws_fill "$ex/deployer-fcgiwrap.socket" "$WORK/fcgiwrap.socket" \
    RUNDIR="$WORK/run"
ws_fill "$ex/deployer-fcgiwrap.service" "$WORK/fcgiwrap.service" \
    RUNDIR="$WORK/run"
ws_systemd_start fcgiwrap "$WORK/fcgiwrap.service" "$WORK/fcgiwrap.socket"
fw=$BG_PID
ws_nginx_start nginx "$ex/deployer.nginx" RUNDIR="$WORK/run"

# --- settings from the configuration file (the example as it is) ---------
ws_cases "nginx+fcgiwrap"
ws_wait_case "nginx+fcgiwrap"

# --- who runs what --------------------------------------------------------
is "$(ps -o comm= -p "$fw")" fcgiwrap "the socket unit started fcgiwrap"
is "$(ws_proc_ids "$fw")" "nobody docker docker" \
    "... as the dedicated user, with the docker group"
is "$(stat -c '%U:%G %a' "$WORK/run/fcgiwrap.sock")" "root:www-data 660" \
    "its socket: the web server's group only"

# fcgi AS SCRIPT: a FastCGI request for /health straight to fcgiwrap's
# socket, as user AS (root, or daemon: neither www-data nor the program's
# user), naming SCRIPT as the program to run.
fcgi() {
	local -a as=()
	[ "$1" = root ] ||
	    as=(setpriv --reuid="$1" --regid="$1" --clear-groups)
	"${as[@]}" env -i REQUEST_METHOD=GET SCRIPT_FILENAME="$2" \
	    PATH_INFO=/health cgi-fcgi -bind -connect "$WORK/run/fcgiwrap.sock" \
	    2>&1 || true
}
like "$(fcgi root "$WS_DEPLOYER")" 'X-Request-Id: ' \
    "a FastCGI client of the socket runs the program"
unlike=$(fcgi daemon "$WS_DEPLOYER")
check "... but not as another user: the socket is closed to it" \
    [ "${unlike/X-Request-Id:/}" = "$unlike" ]
# -p: whatever SCRIPT_FILENAME a client sends, only the deployer runs.
unlike=$(fcgi root /usr/bin/id)
like "$unlike" "403" "fcgiwrap -p: another program named by SCRIPT_FILENAME: 403"
check "... and it did not run" [ "${unlike/uid=/}" = "$unlike" ]

# --- settings from nginx (fastcgi_param), the README's edit ---------------
ws_stop nginx
# Without DEPLOYER_CONFIG the program reads its compiled-in default, which
# must be absent here, and reachable by the program's user (nobody) to
# know that: a build under a directory others cannot enter (a 0700 home,
# say) has its default there, and the program rightly refuses to guess.
# Then the variant names an empty file of its own instead.
default_conf=$("$DEPLOYER" --help | sed -n 's/^ *else \(.*\))$/\1/p')
keep_config='/fastcgi_param DEPLOYER_CONFIG/d'
if [ -e "$default_conf" ] ||
    setpriv --reuid=nobody --regid=nogroup --clear-groups \
        stat "$default_conf" 2>&1 | grep -q 'Permission denied'; then
	: >"$WORK/empty.conf"
	chmod 0644 "$WORK/empty.conf"
	keep_config="s|fastcgi_param DEPLOYER_CONFIG .*|fastcgi_param DEPLOYER_CONFIG $WORK/empty.conf;|"
	diag "the default $default_conf is there or out of nobody's reach: an empty file instead"
fi
sed -e "$keep_config" \
    -e 's/#\(fastcgi_param *\(TOKEN\|DOCKER_HOST\|NOTIFY_FLAGS\) \)/\1/' \
    "$ex/deployer.nginx" >"$WORK/params.nginx"
settings='^[[:space:]]*fastcgi_param *\(TOKEN\|DOCKER_HOST\|NOTIFY_FLAGS\) '
is "$(grep -c "$settings" "$WORK/params.nginx")" 3 \
    "the fastcgi_param variant has its three settings"
# Without the file, the settings can only come from nginx.
mv "$WORK/deployer.conf" "$WORK/deployer.conf.off"
ws_nginx_start nginx2 "$WORK/params.nginx" RUNDIR="$WORK/run"
ws_cases "nginx+fcgiwrap, fastcgi_param"
ws_stop nginx2
mv "$WORK/deployer.conf.off" "$WORK/deployer.conf"

# --- the timeout for ?wait= -------------------------------------------------
ws_lowered "$ex/deployer.nginx" "$WORK/short.nginx" \
    's/fastcgi_read_timeout 960s;/fastcgi_read_timeout 2s;/' \
    'fastcgi_read_timeout 2s;'
ws_nginx_start nginx3 "$WORK/short.nginx" RUNDIR="$WORK/run"
ws_timeout_case "nginx+fcgiwrap"

ws_no_sanitizer_reports
done_testing
