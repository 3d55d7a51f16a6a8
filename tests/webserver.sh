#!/bin/bash
# webserver.sh: real web servers in front of deployer, configured from examples/
# shellcheck shell=bash
#
# Sourced after tests/lib.sh by the web server tests (t03xx):
#
#   . "${0%/*}/../lib.sh"
#   . "${0%/*}/../webserver.sh"
#   ws_setup                    # stack, certificate, token, notify settings
#   ws_create_web               # the service ws_cases deploys to
#   ws_config nobody            # examples/deployer.conf, owned by nobody
#   ws_rundir run
#   ws_fill "$WS_EXAMPLES/nginx-fcgiwrap/deployer-fcgiwrap.socket" \
#       "$WORK/fw.socket" RUNDIR="$WORK/run"          # and the .service
#   ws_systemd_start fcgiwrap "$WORK/fw.service" "$WORK/fw.socket"
#   ws_nginx_start nginx "$WS_EXAMPLES/nginx-fcgiwrap/deployer.nginx" \
#       RUNDIR="$WORK/run"
#   ws_cases "nginx+fcgiwrap"   # deploy, 401s, chunked, status, 404s, 413
#   done_testing
#
# Every server's configuration is filled in from the example file a user
# copies (examples/fill, with the WS_FILL values plus the caller's), never
# from a copy kept here.  What the helpers add around it is what a Debian
# host has already: nginx.conf's http block, lighttpd.conf's basics,
# apache2.conf with its mods-enabled; all of it in a directory of $WORK,
# with the servers on free 127.0.0.1 ports.  systemd units are run by
# ws_systemd_start, with systemd-socket-activate and setpriv.
#
# Users: the servers run their workers as www-data, as on Debian.  The
# examples' dedicated user (RUN_USER) is nobody here, with docker as its
# group: Docker's socket is root:docker 0660, so that stands for "deployer
# is in the docker group" without changing /etc/group.  Where the web
# server runs the program itself (lighttpd, Apache), the server's group is
# docker for the same reason.
#
# Set by ws_setup: WS_TOKEN, WS_TUBE, WS_NOTIFY (NOTIFY_FLAGS), WS_CA (the
# certificate, for curl), WS_DEPLOYER (the program, installed where the
# servers' users can run it), WS_FILL (the common NAME=VALUE list).  Set by
# the *_start helpers: WS_PORT, WS_URL (https://127.0.0.1:PORT/deploy),
# WS_DIR (the server's directory); by ws_systemd_start: WS_SOCK.  With
# WS_NETNS=1 the *_start helpers run the server in the stack's network
# namespace (where dockerd, and a registry it pushes to, see 127.0.0.1),
# and hreq runs curl there.

WS_EXAMPLES=${top_srcdir:?source tests/lib.sh first}/examples
WS_MODULES=/usr/lib/apache2/modules

# ws_need CMD...: every CMD is installed (tests fail, never skip).
ws_need() {
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 ||
		    bail_out "$c is not installed (tests/setup.sh installs it)"
	done
}

# ws_setup: start the stack; make the certificate, the token, the notify
# settings; install the program where the servers' users can run it.
ws_setup() {
	ws_need curl openssl jq setpriv ss
	stack_up
	# mktemp made $WORK 0700; the servers' users must reach their files.
	chmod 0711 "$WORK"
	mkdir -p "$WORK/bin" "$WORK/tls"
	install -m 0755 "$DEPLOYER" "$WORK/bin/deployer"
	WS_DEPLOYER=$WORK/bin/deployer
	ws_cert "$WORK/tls"
	WS_CA=$WORK/tls/cert.pem
	WS_TOKEN=tok-$$-$RANDOM$RANDOM
	WS_TUBE=deploys
	local tpl
	tpl=$(printf '%s' '{{.Action}} {{.ServiceName}} {{.Image}} {{.State}}' |
	    base64 -w0)
	WS_NOTIFY="{\"addr\": \"$BEANSTALK_ADDR\", \"tube\": \"$WS_TUBE\","
	WS_NOTIFY+=" \"template\": \"$tpl\"}"
	WS_FILL=(DEPLOYER="$WS_DEPLOYER" CONFIG="$WORK/deployer.conf"
	    SERVER_NAME=localhost TLS_CERT="$WORK/tls/cert.pem"
	    TLS_KEY="$WORK/tls/key.pem" RUN_USER=nobody RUN_GROUP=docker
	    DOCKER_GROUP=docker WEB_USER=www-data WEB_GROUP=www-data
	    TOKEN="$WS_TOKEN" DOCKER_HOST="$DOCKER_HOST"
	    NOTIFY_FLAGS="$WS_NOTIFY")
	at_exit ws_at_exit
}

# ws_cert DIR: a self-signed certificate for 127.0.0.1 and localhost
# (DIR/cert.pem, DIR/key.pem).
ws_cert() {
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
	    -nodes -days 2 -subj /CN=localhost \
	    -addext 'subjectAltName=DNS:localhost,IP:127.0.0.1' \
	    -keyout "$1/key.pem" -out "$1/cert.pem" 2>"$1/openssl.log" ||
	    bail_out "openssl could not make a certificate: $(cat "$1/openssl.log")"
	chmod 0600 "$1/key.pem"
}

# ws_fill TEMPLATE DEST [NAME=VALUE...]: examples/fill with WS_FILL and the
# extra values (later ones win).
ws_fill() {
	local src=$1 dst=$2
	shift 2
	"$WS_EXAMPLES/fill" "$src" "${WS_FILL[@]}" "$@" >"$dst" ||
	    bail_out "examples/fill $src failed"
}

# ws_config OWNER [NAME=VALUE...]: $WORK/deployer.conf from
# examples/deployer.conf, mode 0600, owned by OWNER.
ws_config() {
	local owner=$1
	shift
	ws_fill "$WS_EXAMPLES/deployer.conf" "$WORK/deployer.conf" "$@"
	chown "$owner" "$WORK/deployer.conf"
	chmod 0600 "$WORK/deployer.conf"
}

# ws_rundir NAME [OWNER [MODE]]: a fresh directory $WORK/NAME for sockets.
ws_rundir() {
	rm -rf "${WORK:?}/$1"
	mkdir -p "$WORK/$1"
	chown "${2:-root}" "$WORK/$1"
	chmod "${3:-0755}" "$WORK/$1"
}

# ---------------------------------------------------------------- requests

# hreq METHOD PATH [BODY]: one HTTPS request to $WS_URL$PATH with curl,
# verifying the test's certificate.  AUTH (when set, unless HREQ_NOAUTH is)
# is sent as Authorization; HREQ_CHUNKED=1 sends the body chunked, without
# Content-Length; HREQ_NETNS=1 runs curl in the stack's network namespace
# (where a service with --network host listens).  Sets STATUS (000 when
# there was no HTTP answer) and BODY, and $WORK/headers for hdr_get, as
# run_cgi does.
hreq() {
	local method=$1 path=$2
	local -a wrap=() args=(-sS --cacert "$WS_CA" -X "$method" -o "$WORK/body"
	    -D "$WORK/headers.raw" -w '%{http_code}'
	    --max-time "${CGI_TIMEOUT:-60}")
	[ -z "${AUTH+set}" ] || [ -n "${HREQ_NOAUTH-}" ] ||
	    args+=(-H "Authorization: $AUTH")
	if [ $# -ge 3 ]; then
		printf '%s' "$3" >"$WORK/request"
		args+=(-H 'Content-Type: application/json'
		    --data-binary "@$WORK/request")
		# HTTP/1.1: HTTP/2 (lighttpd offers it) has no chunked
		# encoding.  -v: the request headers go to curl.err.
		[ -z "${HREQ_CHUNKED-}" ] ||
		    args+=(--http1.1 -v -H 'Transfer-Encoding: chunked')
	fi
	[ -z "${HREQ_NETNS-}${WS_NETNS-}" ] || wrap=(stack_netns_exec "$STACK_DIR")
	: >"$WORK/body"
	: >"$WORK/headers.raw"
	STATUS=$("${wrap[@]}" curl "${args[@]}" "$WS_URL$path" 2>"$WORK/curl.err") ||
	    STATUS=000
	[ "$STATUS" != 000 ] ||
	    diag "curl $method $WS_URL$path: $(cat "$WORK/curl.err")"
	tr -d '\r' <"$WORK/headers.raw" >"$WORK/headers"
	BODY=$(cat "$WORK/body")
}

# ws_cases LABEL [SERVICE]: the behaviour every example must show, through
# the server at WS_URL: a deploy that changes SERVICE (default web) and is
# announced in the tube, a wrong and a missing token, a chunked upload
# without Content-Length, a status request, the health check, requests
# outside the program and outside the prefix, an oversized body.  SERVICE
# must run local/app:v1 or v3 and carry deployer.allowUpdates=true.
ws_cases() {
	local l=$1 svc=${2:-web} AUTH=$WS_TOKEN
	bs_jobs "$WS_TUBE" >/dev/null

	HREQ_NOAUTH=1 hreq GET /health
	is "$STATUS" 200 "$l: GET /deploy/health without a token: 200"

	hreq PUT "/service/$svc" '{"image": "local/app:v2"}'
	is "$STATUS" 200 "$l: PUT /deploy/service/$svc: 200"
	is "$(hdr_get Content-Type)" application/json "$l: ... JSON"
	is "$(json_get state)" accepted "$l: ... Docker accepted it"
	is "$(svc_image "$svc")" local/app:v2 "$l: ... the service changed"
	is "$(bs_jobs "$WS_TUBE")" "deploy $svc local/app:v2 accepted" \
	    "$l: ... and the notification is in the tube"

	AUTH=wrong-$WS_TOKEN hreq PUT "/service/$svc" '{"image": "local/app:v3"}'
	is "$STATUS" 401 "$l: a wrong token: 401"
	is "$(json_get error)" "invalid token" "$l: ... from deployer"
	HREQ_NOAUTH=1 hreq PUT "/service/$svc" '{"image": "local/app:v3"}'
	is "$STATUS" 401 "$l: no token: 401"
	is "$(svc_image "$svc")" local/app:v2 "$l: ... nothing changed"
	is "$(bs_count "$WS_TUBE")" 0 "$l: ... nothing announced"

	AUTH="Bearer $WS_TOKEN" HREQ_CHUNKED=1 \
	    hreq PUT "/service/$svc" '{"image": "local/app:v3"}'
	is "$STATUS" 200 "$l: a chunked body without Content-Length, 'Bearer': 200"
	if grep -qi '^> Transfer-Encoding: chunked' "$WORK/curl.err" &&
	    ! grep -qi '^> Content-Length' "$WORK/curl.err"; then
		pass "$l: ... (curl sent it chunked, without Content-Length)"
	else
		fail "$l: ... (curl sent it chunked, without Content-Length)"
	fi
	is "$(svc_image "$svc")" local/app:v3 "$l: ... deployed"
	is "$(bs_jobs "$WS_TUBE")" "deploy $svc local/app:v3 accepted" \
	    "$l: ... and announced"

	hreq GET "/service/$svc"
	is "$STATUS" 200 "$l: GET /deploy/service/$svc: 200"
	is "$(json_get image)" local/app:v3 "$l: ... the image that runs now"
	is "$(json_get previous_image)" local/app:v2 "$l: ... and the one before"

	hreq GET /nowhere
	is "$STATUS" 404 "$l: /deploy/nowhere: 404"
	is "$(json_get error)" "no such endpoint" "$l: ... from deployer"
	hreq DELETE "/service/$svc"
	is "$STATUS" 405 "$l: DELETE: 405"
	is "$(hdr_get Allow)" "GET, PUT" "$l: ... with deployer's Allow"
	local url=$WS_URL
	WS_URL=${WS_URL%/deploy}
	hreq GET "/service/$svc"
	WS_URL=$url
	is "$STATUS" 404 "$l: /service/$svc outside the prefix: 404"
	like "$(hdr_get Content-Type)" '^text/html' \
	    "$l: ... from the server, not the program"

	hreq PUT "/service/$svc" "{\"image\": \"$(printf '%070000d' 0)\"}"
	is "$STATUS" 413 "$l: a body over 64 KiB: 413"
	is "$(svc_image "$svc")" local/app:v3 "$l: ... nothing changed"
}

# ws_wait_case LABEL [SERVICE]: PUT ?wait=60 of local/app:v1 answers when the
# rollout has completed.
ws_wait_case() {
	local l=$1 svc=${2:-web} AUTH=$WS_TOKEN
	hreq PUT "/service/$svc?wait=60" '{"image": "local/app:v1"}'
	is "$STATUS" 200 "$l: PUT ?wait=60: 200"
	is "$(json_get state)" completed "$l: ... after the rollout completed"
	is "$(bs_jobs "$WS_TUBE")" "deploy $svc local/app:v1 completed" \
	    "$l: ... announced once, completed"
}

# ws_create_slow: a service whose rollouts and rollbacks take minutes
# (slow), for ws_timeout_case.
ws_create_slow() {
	svc_create slow local/app:v1 --label deployer.allowUpdates=true \
	    --replicas 2 --update-delay 300s --rollback-delay 300s \
	    --stop-grace-period 1s >/dev/null
}

# ws_timeout_case LABEL [rollback]: the server was started with the
# example's timeout lowered to 2 s (sed on the example's own line): a PUT
# ?wait=8 to slow (or, with "rollback", a POST .../rollback?wait=8, which
# has no body) is then cut by the server after about 2 s instead of
# answered by deployer after 8 s.  That proves the line is the one that
# matters for ?wait=.
ws_timeout_case() {
	local l=$1 t0 ms img AUTH=$WS_TOKEN
	if [ "${2-}" = rollback ]; then
		t0=$(date +%s%N)
		hreq POST /service/slow/rollback?wait=8
	else
		# Another image than the spec has, so that there is a rollout.
		case $(svc_image slow) in
		local/app:v2) img=local/app:v3 ;;
		*) img=local/app:v2 ;;
		esac
		t0=$(date +%s%N)
		hreq PUT /service/slow?wait=8 "{\"image\": \"$img\"}"
	fi
	ms=$((($(date +%s%N) - t0) / 1000000))
	if [ "$STATUS" != 200 ] &&
	    [ "$(hdr_get Content-Type)" != application/json ]; then
		pass "$l: timeout lowered to 2 s: ?wait=8 is cut by the server ($STATUS)"
	else
		fail "$l: timeout lowered to 2 s: ?wait=8 is cut by the server ($STATUS)"
	fi
	[ "$(hdr_get Content-Type)" != application/json ] ||
	    diag "deployer answered: $BODY"
	# Not JSON is the proof that the server, not deployer, answered; how
	# long it took is shown only (a loaded machine may take longer).
	diag "$l: cut after ${ms} ms"
}

# ws_setup_for USER: what every server test starts with: ws_setup, the
# services web and slow, and the settings file readable by USER, the
# user the server runs the program as.
ws_setup_for() {
	ws_setup
	ws_create_web
	ws_create_slow
	ws_config "$1"
}

# ws_lowered SRC DEST SED WHAT: the example SRC with its timeout line
# edited by SED into DEST; passes when exactly one line of DEST matches
# WHAT (a grep pattern for the edited line), so that a changed example
# cannot make the timeout cases test nothing.
ws_lowered() {
	sed "$3" "$1" >"$2"
	is "$(grep -c -- "$4" "$2")" 1 "${2##*/}: the example with '$4'"
}

# ws_token_withheld LABEL: a server that keeps the Authorization header
# from the program: the right token gets 401 and nothing changes.
ws_token_withheld() {
	local AUTH=$WS_TOKEN
	hreq PUT /service/web '{"image": "local/app:v2"}'
	is "$STATUS" 401 "$1: the right token gets 401"
	is "$(json_get error)" "missing Authorization header" \
	    "... because the server kept the header from the program"
	is "$(svc_image web)" local/app:v1 "... and nothing changed"
}

# ws_create_web: the service ws_cases deploys to (web): local/app:v1, one
# replica, quick rolling updates.
ws_create_web() {
	svc_create web local/app:v1 --label deployer.allowUpdates=true \
	    --stop-grace-period 1s --update-monitor 1s --update-delay 0s \
	    >/dev/null
}

# ---------------------------------------------------------------- servers

# _ws_listens PORT PID: PID (or a child of it) listens on 127.0.0.1:PORT.
_ws_listens() {
	local line child
	local -a wrap=()
	[ -z "${WS_NETNS-}" ] || wrap=(stack_netns_exec "$STACK_DIR")
	line=$("${wrap[@]}" ss -Hltnp "sport = :$1" 2>/dev/null) || return 1
	[[ $line == *"pid=$2,"* ]] && return 0
	for child in $(ps -o pid= --ppid "$2" 2>/dev/null); do
		[[ $line == *"pid=$child,"* ]] && return 0
	done
	return 1
}

# _ws_start NAME CONFIGURE CMD...: pick a free port, run CONFIGURE NAME
# PORT (a function writing the configuration into $WORK/NAME), start CMD in
# the background (output in $WORK/NAME.log) and wait until it listens on
# 127.0.0.1:PORT.  A port lost to another process between the check and
# the bind is retried with another one.  Sets WS_PORT, WS_URL, WS_DIR.
_ws_start() {
	local name=$1 configure=$2 try i port pid
	local -a wrap=()
	shift 2
	[ -z "${WS_NETNS-}" ] || wrap=(stack_netns_exec "$STACK_DIR")
	mkdir -p "$WORK/$name"
	for ((try = 0; try < 5; try++)); do
		port=$(free_port) || return 1
		"$configure" "$name" "$port"
		bg_start "$name" "${wrap[@]}" "$@"
		pid=$BG_PID
		for ((i = 0; i < 150; i++)); do
			if _ws_listens "$port" "$pid"; then
				# shellcheck disable=SC2034 # for the tests
				WS_PORT=$port
				WS_URL=https://127.0.0.1:$port/deploy
				# shellcheck disable=SC2034 # for the tests
				WS_DIR=$WORK/$name
				return 0
			fi
			! _stack_wait_gone 0 "$pid" || break
			sleep 0.1
		done
		bg_stop "$name"
		if ! grep -qi 'address already in use' "$WORK/$name.log" \
		    "$WORK/$name"/*.log "$WORK/$name"/log/*.log 2>/dev/null; then
			break
		fi
		diag "$name: port $port was taken; trying another"
		mv "$WORK/$name.log" "$WORK/$name.log.$try"
		rm -f "$WORK/$name"/*.log "$WORK/$name"/log/*.log
	done
	diag "$name did not start; its logs:"
	diag "$(tail -n 30 "$WORK/$name.log" "$WORK/$name"/*.log \
	    "$WORK/$name"/log/*.log 2>/dev/null)"
	return 1
}

# ws_stop NAME: stop a server or service started here.
ws_stop() {
	bg_stop "$1"
}

# ws_nginx_start NAME TEMPLATE [NAME=VALUE...]: nginx serving TEMPLATE (a
# server block from examples/) filled in, workers running as www-data.
ws_nginx_start() {
	local name=$1
	ws_need nginx
	_ws_tpl=$2
	shift 2
	_ws_vals=("$@")
	mkdir -p "$WORK/$name"
	# `include fastcgi_params` is relative to the configuration's
	# directory; Debian's file, as in /etc/nginx.
	ln -sf /etc/nginx/fastcgi_params "$WORK/$name/fastcgi_params"
	_ws_start "$name" _ws_nginx_conf nginx -p "$WORK/$name/" \
	    -c "$WORK/$name/nginx.conf" -g 'daemon off;'
}

_ws_nginx_conf() {
	local dir=$WORK/$1 port=$2
	ws_fill "$_ws_tpl" "$dir/site.conf" LISTEN="127.0.0.1:$port" \
	    PORT="$port" "${_ws_vals[@]}"
	# What Debian's /etc/nginx/nginx.conf puts around sites-enabled/*.
	cat >"$dir/nginx.conf" <<EOF
user www-data;
worker_processes 1;
pid $dir/nginx.pid;
error_log $dir/error.log notice;
events {
	worker_connections 256;
}
http {
	access_log $dir/access.log;
	client_body_temp_path $dir/tmp-body;
	fastcgi_temp_path $dir/tmp-fastcgi;
	proxy_temp_path $dir/tmp-proxy;
	scgi_temp_path $dir/tmp-scgi;
	uwsgi_temp_path $dir/tmp-uwsgi;
	include $dir/site.conf;
}
EOF
}

# ws_lighttpd_start NAME TEMPLATE [NAME=VALUE...]: lighttpd with TEMPLATE (a
# conf-available snippet from examples/) filled in, running as www-data
# with docker as its group.
ws_lighttpd_start() {
	local name=$1
	ws_need lighttpd
	[ -e /usr/lib/lighttpd/mod_openssl.so ] ||
	    bail_out "lighttpd's mod_openssl is not installed (lighttpd-mod-openssl)"
	_ws_tpl=$2
	shift 2
	_ws_vals=("$@")
	# lighttpd opens its logs after becoming www-data, as Debian's
	# /var/log/lighttpd is www-data's.
	mkdir -p "$WORK/$name/htdocs" "$WORK/$name/uploads" "$WORK/$name/log"
	chown www-data "$WORK/$name/uploads" "$WORK/$name/log"
	_ws_start "$name" _ws_lighttpd_conf lighttpd -D \
	    -f "$WORK/$name/lighttpd.conf"
}

_ws_lighttpd_conf() {
	local dir=$WORK/$1 port=$2
	ws_fill "$_ws_tpl" "$dir/site.conf" LISTEN="127.0.0.1:$port" \
	    PORT="$port" "${_ws_vals[@]}"
	# Debian's /etc/lighttpd/lighttpd.conf, less mime types and such; the
	# snippet's $SERVER["socket"] is the main socket here.
	cat >"$dir/lighttpd.conf" <<EOF
server.modules = ("mod_indexfile", "mod_access", "mod_alias",
    "mod_redirect", "mod_accesslog")
server.document-root = "$dir/htdocs"
server.upload-dirs = ("$dir/uploads")
server.errorlog = "$dir/log/error.log"
accesslog.filename = "$dir/log/access.log"
server.username = "www-data"
server.groupname = "docker"
server.bind = "127.0.0.1"
server.port = $port
include "$dir/site.conf"
EOF
}

# ws_apache_start NAME TEMPLATE [NAME=VALUE...]: a private apache2 with
# TEMPLATE (a site from examples/) filled in; APACHE_MODS names the modules
# beyond mpm_event, authz_core, alias, ssl and env (e.g. "cgid").  It runs
# as www-data with docker as its group.
ws_apache_start() {
	local name=$1 m
	ws_need apache2
	for m in mpm_event authz_core alias ssl env ${APACHE_MODS-}; do
		[ -e "$WS_MODULES/mod_$m.so" ] || bail_out \
		    "mod_$m.so is missing (apache2-bin, libapache2-mod-$m)"
	done
	_ws_tpl=$2
	shift 2
	_ws_vals=("$@")
	mkdir -p "$WORK/$name/run/fcgid" "$WORK/$name/htdocs"
	chown www-data "$WORK/$name/run/fcgid"
	_ws_start "$name" _ws_apache_conf env -i PATH="$STACK_PATH" LANG=C \
	    apache2 -f "$WORK/$name/apache2.conf" -DFOREGROUND
}

_ws_apache_conf() {
	local dir=$WORK/$1 port=$2 m
	ws_fill "$_ws_tpl" "$dir/site.conf" LISTEN="127.0.0.1:$port" \
	    PORT="$port" "${_ws_vals[@]}"
	# What Debian's apache2.conf, ports.conf and mods-enabled/ put around
	# sites-enabled/*, with every path in $dir.
	{
		cat <<EOF
ServerRoot $dir
ServerName localhost
PidFile $dir/apache2.pid
DefaultRuntimeDir $dir/run
Mutex file:$dir/run default
ErrorLog $dir/error.log
LogLevel warn
User www-data
Group docker
Timeout 300
EOF
		for m in mpm_event authz_core alias ssl env ${APACHE_MODS-}; do
			printf 'LoadModule %s_module %s/mod_%s.so\n' "$m" \
			    "$WS_MODULES" "$m"
		done
		cat <<EOF
<IfModule cgid_module>
	ScriptSock $dir/run/cgid.sock
</IfModule>
<IfModule fcgid_module>
	FcgidIPCDir $dir/run/fcgid
	FcgidProcessTableFile $dir/run/fcgid_shm
</IfModule>
<Directory />
	Options FollowSymLinks
	AllowOverride None
	Require all denied
</Directory>
DocumentRoot $dir/htdocs
<Directory $dir/htdocs>
	Require all granted
</Directory>
Listen 127.0.0.1:$port
Include $dir/site.conf
EOF
	} >"$dir/apache2.conf"
}

# ---------------------------------------------------------------- systemd

# ws_unit_get FILE KEY: the values of KEY= in the unit FILE, one per line.
ws_unit_get() {
	sed -n "s/^$2=//p" "$1"
}

# ws_systemd_start NAME SERVICE [SOCKET]: run a filled-in service unit the
# way systemd would, with what Debian's systemd-socket-activate and setpriv
# can do: the socket unit's ListenStream (handed over as fd 3, LISTEN_FDS=1)
# with its SocketUser, SocketGroup and SocketMode; the service's ExecStart
# with a clean environment plus Environment=, as User, Group and
# SupplementaryGroups, with UMask and NoNewPrivileges; RuntimeDirectory is
# the directory of the socket, given to User:Group with
# RuntimeDirectoryMode.  Waits for the socket (without a socket unit: the
# first unix: or -s path in ExecStart, or BIND=unix: in Environment=).
# The process's output is in $WORK/NAME.log; its pid in BG_PID.
ws_systemd_start() {
	local name=$1 service=$2 socket=${3-} user group supp umask sock
	local rdir rmode i nnp home shell
	local -a exec env envargs base priv=()
	ws_need systemd-socket-activate setpriv
	read -ra exec <<<"$(ws_unit_get "$service" ExecStart)"
	mapfile -t env < <(ws_unit_get "$service" Environment)
	user=$(ws_unit_get "$service" User)
	group=$(ws_unit_get "$service" Group)
	supp=$(ws_unit_get "$service" SupplementaryGroups)
	umask=$(ws_unit_get "$service" UMask)
	nnp=$(ws_unit_get "$service" NoNewPrivileges)
	rdir=$(ws_unit_get "$service" RuntimeDirectory)
	rmode=$(ws_unit_get "$service" RuntimeDirectoryMode)
	if [ -n "$socket" ]; then
		sock=$(ws_unit_get "$socket" ListenStream)
	else
		for i in "${exec[@]}" "${env[@]}"; do
			case $i in
			unix:/* | BIND=unix:/*) sock=${i#*unix:} ;;
			/*.sock) sock=$i ;;
			*) continue ;;
			esac
			break
		done
	fi
	[ -n "${sock-}" ] || bail_out "ws_systemd_start: no socket in $service"
	if [ -n "$rdir" ]; then
		chown "${user:-root}:${group:-root}" "${sock%/*}"
		chmod "${rmode:-0755}" "${sock%/*}"
	fi
	rm -f "$sock"
	if [ -n "$user" ]; then
		priv=(setpriv --reuid="$user" --regid="${group:-$user}")
		if [ -n "$supp" ]; then
			priv+=(--groups="${supp// /,}")
		else
			priv+=(--clear-groups)
		fi
		[ "$nnp" != yes ] || priv+=(--no-new-privs)
		priv+=(--)
	fi
	# systemd's environment: PATH, and with User= the user's HOME,
	# USER, LOGNAME and SHELL; then Environment=.
	base=(PATH="$STACK_PATH")
	if [ -n "$user" ]; then
		IFS=: read -r _ _ _ _ _ home shell < <(getent passwd "$user")
		base+=(HOME="$home" USER="$user" LOGNAME="$user" SHELL="$shell")
	fi
	# shellcheck disable=SC2016 # the inner shell expands them
	if [ -n "$socket" ]; then
		# systemd-socket-activate passes on PATH, HOME, USER and TERM
		# of its own environment, and what -E names.
		envargs=()
		for i in "${env[@]}"; do
			envargs+=(-E "$i")
		done
		bg_start "$name" env -i "${base[@]}" bash -c \
		    'umask "$1"; shift; exec "$@"' umask "${umask:-0022}" \
		    systemd-socket-activate -l "$sock" "${envargs[@]}" -- \
		    "${priv[@]}" "${exec[@]}"
	else
		bg_start "$name" env -i "${base[@]}" "${env[@]}" bash -c \
		    'umask "$1"; shift; exec "$@"' umask "${umask:-0022}" \
		    "${priv[@]}" "${exec[@]}"
	fi
	for ((i = 0; i < 100; i++)); do
		[ ! -S "$sock" ] || break
		if _stack_wait_gone 0 "$BG_PID"; then
			diag "$name exited; its log:" "$(cat "$WORK/$name.log")"
			return 1
		fi
		sleep 0.1
	done
	if [ ! -S "$sock" ]; then
		diag "$name: no socket $sock after 10 s"
		return 1
	fi
	if [ -n "$socket" ]; then
		chown "$(ws_unit_get "$socket" SocketUser):$(ws_unit_get \
		    "$socket" SocketGroup)" "$sock"
		chmod "$(ws_unit_get "$socket" SocketMode)" "$sock"
	fi
	# shellcheck disable=SC2034 # for the tests
	WS_SOCK=$sock
}

# ws_tree_pids PID NAME: the pids of PID and its descendants whose command
# is NAME, one per line (other tests may run the same program at the same
# time: look only under the server this test started).
ws_tree_pids() {
	local child
	[ "$(ps -o comm= -p "$1" 2>/dev/null)" != "$2" ] || printf '%s\n' "$1"
	for child in $(ps -o pid= --ppid "$1" 2>/dev/null); do
		ws_tree_pids "$child" "$2"
	done
}

# ws_proc_ids PID: "user group supplementary-groups" of process PID.
ws_proc_ids() {
	ps -o user=,group=,supgrp= -p "$1" | tr -s ' '
}

# ws_systemd_verify TEMPLATE...: the units filled in as a user would (the
# defaults of examples/fill, with the test's program) pass
# systemd-analyze verify.
ws_systemd_verify() {
	local dir=$WORK/units t out rc=0
	local -a units=()
	ws_need systemd-analyze
	mkdir -p "$dir"
	for t in "$@"; do
		"$WS_EXAMPLES/fill" "$t" DEPLOYER="$WS_DEPLOYER" \
		    >"$dir/${t##*/}" || bail_out "examples/fill $t failed"
		units+=("./${t##*/}")
	done
	out=$(cd "$dir" && systemd-analyze verify --man=no "${units[@]}" 2>&1) ||
	    rc=$?
	is "$rc:$out" "0:" "systemd-analyze verify: ${*##*/}"
}

# ---------------------------------------------------------------- clean-up

# ws_at_exit: on failure, the ends of the servers' logs (their error logs
# hold the deployer's stderr).
ws_at_exit() {
	[ -n "${_tap_done-}" ] && [ "${_tap_failed:-0}" = 0 ] && return 0
	local f
	for f in "$WORK"/*.log "$WORK"/*/error.log "$WORK"/*/log/error.log; do
		case $f in
		*/deployer.log | */fcgi.log) continue ;;
		esac
		_lib_tail "${f#"$WORK"/}" "$f" 30
	done
}

# ws_no_sanitizer_reports: an assertion that no log has a sanitizer or
# valgrind report (the deployer's stderr goes to the servers' logs here).
ws_no_sanitizer_reports() {
	local f bad=
	for f in "$WORK"/*.log "$WORK"/*/*.log "$WORK"/*/log/*.log; do
		[ -f "$f" ] || continue
		if grep -qE 'ERROR: [A-Za-z]+Sanitizer|Sanitizer has encountered|runtime error:|ERROR SUMMARY: [1-9]' \
		    "$f"; then
			bad+=" ${f#"$WORK"/}"
		fi
	done
	is "$bad" "" "no sanitizer report in any log"
}
