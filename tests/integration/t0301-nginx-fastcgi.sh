#!/bin/bash
# t0301-nginx-fastcgi.sh: examples/nginx-fastcgi through real nginx, with the
# deployer as one FastCGI process started the ways the example shows:
# spawn-fcgi, a systemd socket + service pair (systemd-socket-activate),
# --listen and BIND; over HTTPS, real swarm
set -eu
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "${0%/*}/../lib.sh"
# shellcheck source-path=SCRIPTDIR source=../webserver.sh
. "${0%/*}/../webserver.sh"

ws_need spawn-fcgi cgi-fcgi
ws_setup
ws_create_web
ws_config nobody
ex=$WS_EXAMPLES/nginx-fastcgi

# fastcgi_check LABEL PID OWNER: the process that served everything.
fastcgi_check() {
	local l=$1 pid=$2 owner=$3 out
	is "$(ps -o comm= -p "$pid")" deployer \
	    "$l: one deployer process served every request"
	is "$(ws_proc_ids "$pid")" "$4" \
	    "$l: ... as the dedicated user, with the docker group"
	is "$(stat -c '%U:%G %a' "$WS_SOCK")" "$owner" \
	    "$l: the socket is the web server's group's only"
	out=$(env -i REQUEST_METHOD=GET PATH_INFO=/health \
	    cgi-fcgi -bind -connect "$WS_SOCK" 2>&1) || true
	like "$out" 'X-Request-Id: ' "$l: a FastCGI client of the socket gets answers"
	out=$(setpriv --reuid=daemon --regid=daemon --clear-groups \
	    env -i REQUEST_METHOD=GET PATH_INFO=/health \
	    cgi-fcgi -bind -connect "$WS_SOCK" 2>&1) || true
	check "$l: ... but not as another user: the socket is closed to it" \
	    [ "${out/X-Request-Id:/}" = "$out" ]
}

ws_systemd_verify "$ex/deployer.service" "$ex/deployer.socket" \
    "$ex/deployer-spawn-fcgi.service" "$ex/deployer-listen.service"

for way in spawn-fcgi socket listen bind; do
	ws_rundir "run-$way"
	rundir=$WORK/run-$way
	case $way in
	spawn-fcgi)
		ws_fill "$ex/deployer-spawn-fcgi.service" "$WORK/$way.service" \
		    RUNDIR="$rundir"
		ws_systemd_start "fcgi-$way" "$WORK/$way.service"
		owner="nobody:www-data 660"
		;;
	socket)
		ws_fill "$ex/deployer.service" "$WORK/$way.service" \
		    RUNDIR="$rundir"
		ws_fill "$ex/deployer.socket" "$WORK/$way.socket" \
		    RUNDIR="$rundir"
		ws_systemd_start "fcgi-$way" "$WORK/$way.service" \
		    "$WORK/$way.socket"
		owner="root:www-data 660"
		;;
	listen)
		ws_fill "$ex/deployer-listen.service" "$WORK/$way.service" \
		    RUNDIR="$rundir"
		ws_systemd_start "fcgi-$way" "$WORK/$way.service"
		owner="nobody:www-data 660"
		;;
	bind)
		# The unit's other way: BIND= instead of --listen.
		sed -e 's/ --listen unix:[^ ]*$//' \
		    -e 's/^#\(Environment=BIND=\)/\1/' \
		    "$ex/deployer-listen.service" >"$WORK/bind.in"
		is "$(grep -c '^ExecStart=.*--listen' "$WORK/bind.in") $(grep -c \
		    '^Environment=BIND=unix:' "$WORK/bind.in")" "0 1" \
		    "the unit with BIND= instead of --listen"
		ws_fill "$WORK/bind.in" "$WORK/$way.service" RUNDIR="$rundir"
		ws_systemd_start "fcgi-$way" "$WORK/$way.service"
		owner="nobody:www-data 660"
		;;
	esac
	pid=$BG_PID
	ws_nginx_start "nginx-$way" "$ex/deployer.nginx" RUNDIR="$rundir"
	ws_cases "nginx+$way"
	[ "$way" != listen ] || ws_wait_case "nginx+$way"
	# fastcgi_keep_conn: nginx's connection stays open after its
	# requests, and the process still answered every other client.
	kept=$(ss -xH state established | grep -cF -- "$WS_SOCK") || true
	check "$way: nginx keeps its FastCGI connection between requests" \
	    [ "$kept" -ge 1 ]
	groups="nobody docker docker"
	case $way in
	listen | bind) groups="nobody www-data docker" ;;
	esac
	fastcgi_check "$way" "$pid" "$owner" "$groups"
	ws_stop "nginx-$way"
	ws_stop "fcgi-$way"
	is "$BG_EXIT" 0 "$way: SIGTERM stops the FastCGI process cleanly"
done

ws_no_sanitizer_reports
done_testing
