#!/bin/bash
# t0420-hostile.sh: hostile requests, as CGI and through one FastCGI
# process: each gets a 4xx JSON error, quickly, and Docker is never called
set -eu
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "${0%/*}/../lib.sh"

FAKE=$top_builddir/tests/tools/fakedocker
LOAD=$top_builddir/tests/tools/fcgi-load
[ -x "$FAKE" ] || bail_out "$FAKE is not built"
[ -x "$LOAD" ] || bail_out "$LOAD is not built"
command -v jq >/dev/null || bail_out "jq is missing"

# Docker is a recorder: every call it gets is a line in $CALLS.
CALLS=$WORK/calls
: >"$CALLS"
bg_start fake "$FAKE" "$WORK/fake.sock" record "$CALLS"
for ((i = 0; i < 50; i++)); do
	[ -S "$WORK/fake.sock" ] && break
	sleep 0.1
done
[ -S "$WORK/fake.sock" ] || bail_out "fakedocker did not start"

T=t0ken-$$
CGI_ENV="TOKEN=$T DOCKER_HOST=unix://$WORK/fake.sock DEPLOYER_SPOOL_DIR=off"
# Each request must be answered within this many ms (much more under
# valgrind, which starts slowly): no refusal may wait for a timeout
# (a FastCGI request's request_timeout is 10 s).  A refusal takes
# about 2 ms of CPU; the margin is for a machine busy with other work, and
# for sanitizer builds.
LIMIT=8000
[ -z "${CGI_WRAPPER-}" ] || LIMIT=25000

# ------------------------------------------------------------ the table
# row DESCRIPTION EXPECT METHOD PATH AUTHORIZATION BODY [PARAM...]: one
# hostile request, in fcgi-load's format (see tests/tools/fcgi-load.c:
# "-" absent, "\E" empty, \\ \t \n \r \xHH escapes).
KINDS=$WORK/hostile.kinds
: >"$KINDS"
DESC=()
row() {
	DESC+=("$1")
	shift
	local IFS=$'\t'
	printf '%s\n' "$*" >>"$KINDS"
}
# rep N STRING: STRING N times.
rep() {
	local s
	printf -v s '%*s' "$1" ''
	printf '%s' "${s// /$2}"
}

B='{"image":"local/app:v2"}'
P=/service/web
row "lowercase method" 405 put $P "$T" "$B"
row "mixed-case method" 405 Put $P "$T" "$B"
row "unknown method" 405 BREW $P "$T" "$B"
row "a method of 3000 bytes" 405 "$(rep 1000 PUT)" $P "$T" "$B"
row "a method with CRLF and a header" 405 'PUT\r\nX-Evil: 1' $P "$T" "$B"
row "no method at all" 405 - $P "$T" "$B"
row "dot-dot segment" 400 PUT /service/../health "$T" "$B"
row "dot segment" 400 PUT /service/./web "$T" "$B"
row "trailing dot-dot" 400 PUT /service/web/.. "$T" "$B"
row "encoded slash" 400 PUT /service/a%2Fweb "$T" "$B"
row "decoded slash" 404 PUT /service/a/web "$T" "$B"
row "%00 in the path" 400 PUT '/service/web%00' "$T" "$B"
row "NUL in PATH_INFO" 404 PUT '/serv\x00ice/web' "$T" "$B"
row "a path of 300 bytes" 400 PUT "/service/$(rep 300 a)" "$T" "$B"
row "a service name of 64 bytes" 404 PUT "/service/$(rep 64 a)" "$T" "$B"
row "non-ASCII in the path" 400 PUT '/service/w\xc3\xa9b' "$T" "$B"
row "control byte in the path" 400 PUT '/service/web\x01' "$T" "$B"
row "CRLF in the path" 400 PUT '/service/web\r\nX-Evil: 1' "$T" "$B"
row "leading //" 404 PUT //service//web "$T" "$B"
row "empty segment" 404 PUT /service//web "$T" "$B"
row "no service name" 404 PUT /service/ "$T" "$B"
row "a name starting with -" 404 PUT /service/-web "$T" "$B"
row "no leading slash" 400 PUT service/web "$T" "$B"
row "PUT on /health" 405 PUT /health "$T" "$B"
row "Content-Length above the body" 400 PUT $P "$T" "$B" CONTENT_LENGTH=100
row "Content-Length below the body" 400 PUT $P "$T" "$B" CONTENT_LENGTH=5
row "negative Content-Length" 400 PUT $P "$T" "$B" CONTENT_LENGTH=-1
row "non-numeric Content-Length" 400 PUT $P "$T" "$B" CONTENT_LENGTH=abc
row "Content-Length 99999999999999999999" 400 PUT $P "$T" "$B" \
    CONTENT_LENGTH=99999999999999999999
row "Content-Length with a +" 400 PUT $P "$T" "$B" CONTENT_LENGTH=+24
row "Content-Length with a leading space" 400 PUT $P "$T" "$B" \
    'CONTENT_LENGTH= 24'
row "Content-Length with a trailing space" 400 PUT $P "$T" "$B" \
    'CONTENT_LENGTH=24 '
row "Content-Length in hex" 400 PUT $P "$T" "$B" CONTENT_LENGTH=0x18
row "Content-Length twice, joined" 400 PUT $P "$T" "$B" CONTENT_LENGTH=24,24
row "Content-Length above max_body" 413 PUT $P "$T" "$B" \
    CONTENT_LENGTH=1000000
row "no body" 400 PUT $P "$T" -
row "10,000 [" 400 PUT $P "$T" "$(rep 10000 '[')"
row "an image nested 10,000 deep" 400 PUT $P "$T" \
    "{\"image\":$(rep 10000 '[')"
row "5,000 nested objects" 400 PUT $P "$T" "$(rep 5000 '{"a":')1"
row "invalid UTF-8 in the image" 400 PUT $P "$T" \
    '{"image":"local/app:\xff\xfe"}'
row "overlong UTF-8 (/)" 400 PUT $P "$T" '{"image":"local/app:\xc0\xaf"}'
row "a UTF-16 surrogate in UTF-8" 400 PUT $P "$T" \
    '{"image":"local/app:\xed\xa0\x80"}'
row "a raw control byte in the image" 400 PUT $P "$T" \
    '{"image":"local/app:v2\x01"}'
row "an escaped newline in the image" 400 PUT $P "$T" \
    '{"image":"local/app:v2\\n"}'
row "an escaped NUL in the image" 400 PUT $P "$T" \
    '{"image":"local/app:v2\\u0000evil"}'
row "template syntax in the tag" 400 PUT $P "$T" '{"image":"local/app:{{.X}}"}'
row "template syntax as the image" 400 PUT $P "$T" '{"image":"{{.Image}}"}'
row "an image of 300 bytes" 400 PUT $P "$T" "{\"image\":\"$(rep 300 a):v1\"}"
row "a tag of 200 bytes" 400 PUT $P "$T" "{\"image\":\"local/app:$(rep 200 v)\"}"
row "a JSON string as the body" 400 PUT $P "$T" '"local/app:v2"'
row "a repeated key" 400 PUT $P "$T" \
    '{"image":"local/app:v2","image":"local/app:v3"}'
row "a NUL after the body" 400 PUT $P "$T" "$B"'\x00'
row "a byte-order mark" 400 PUT $P "$T" '\xef\xbb\xbf'"$B"
row "wait 1e999" 400 PUT $P "$T" '{"image":"local/app:v2","wait":1e999}'
row "wait -1 in the body" 400 PUT $P "$T" '{"image":"local/app:v2","wait":-1}'
row "force as a string" 400 PUT $P "$T" '{"image":"local/app:v2","force":"yes"}'
row "template syntax in expect" 400 PUT $P "$T" \
    '{"image":"local/app:v2","expect":"{{.X}}"}'
row "Bearer alone" 401 PUT $P Bearer "$B"
row "Bearer and a space" 401 PUT $P 'Bearer ' "$B"
row "a 100 KB Authorization" 401 PUT $P "Bearer $(rep 100000 a)" "$B"
row "a control byte after the token" 401 PUT $P "Bearer $T"'\x01' "$B"
row "an overlong NUL as the token" 401 PUT $P 'Bearer \xc0\x80' "$B"
row "%00 as the token" 401 PUT $P 'Bearer %00' "$B"
row "NUL inside Bearer" 401 PUT $P 'Bear\x00er '"$T" "$B"
row "CRLF after the token" 401 PUT $P "$T"'\r\nX-Evil: 1' "$B"
row "Basic credentials" 401 PUT $P 'Basic dXNlcjpwYXNz' "$B"
row "Bearer twice" 401 PUT $P "Bearer Bearer $T" "$B"
row "no Authorization" 401 PUT $P - "$B"
row "wait=-1" 400 PUT "$P?wait=-1" "$T" "$B"
row "wait=1e9" 400 PUT "$P?wait=1e9" "$T" "$B"
row "wait of 23 digits" 400 PUT "$P?wait=99999999999999999999999" "$T" "$B"
row "wait beyond wait_max" 400 PUT "$P?wait=86401" "$T" "$B"
row "wait=" 400 PUT "$P?wait=" "$T" "$B"
row "dry_run=maybe" 400 PUT "$P?dry_run=maybe" "$T" "$B"
row "wait twice" 400 PUT "$P?wait=1&wait=2" "$T" "$B"
row "dry_run twice" 400 PUT "$P?dry_run&dry_run" "$T" "$B"
row "an unknown key" 400 PUT "$P?evil=1" "$T" "$B"
row "percent-encoding in the query" 400 PUT "$P?wait=%31" "$T" "$B"
row "an upper-case key" 400 PUT "$P?WAIT=1" "$T" "$B"
row "a query of 700 bytes" 400 PUT "$P?$(rep 100 'wait=1&')" "$T" "$B"
row "a rollback with an unknown key" 400 POST "$P/rollback?evil=1" "$T" -
row "a status read with a malformed query" 400 GET "$P?wait=-1" "$T" -
row "a status read with an unknown key" 400 GET "$P?evil=1" "$T" -
NROWS=${#DESC[@]}
diag "$NROWS hostile requests"
check "the table has at least 40 requests" [ "$NROWS" -ge 40 ]

# ------------------------------------------------------------ checks
# check_row MODE I STATUS MS OUTFILE: one test for row I: the expected 4xx, a
# JSON error, in time, and no Docker call since the last check.
CALLS_SEEN=0
check_row() {
	local mode=$1 i=$2 status=$3 ms=$4 out=$5 want calls body why=''
	local -a f
	IFS=$'\t' read -r -a f < <(sed -n "$((i + 1))p" "$KINDS")
	want=${f[0]}
	body=$(sed '1,/^\r\{0,1\}$/d' "$out")
	case ",$want," in
	*",$status,"*) ;;
	*) why+=" status $status, not $want;" ;;
	esac
	case $status in
	4??) ;;
	*) why+=" not a 4xx;" ;;
	esac
	if ! printf '%s' "$body" | jq -e \
	    'type == "object" and (.error | type == "string")' >/dev/null 2>&1; then
		why+=" not a JSON error: '${body:0:200}';"
	fi
	if ! grep -qi '^Content-Type: application/json' "$out"; then
		why+=" not application/json;"
	fi
	[ "$ms" -lt "$LIMIT" ] || why+=" took $ms ms;"
	calls=$(wc -l <"$CALLS")
	if [ "$calls" != "$CALLS_SEEN" ]; then
		why+=" Docker was called: $(tail -n $((calls - CALLS_SEEN)) "$CALLS" | tr '\n' ' ');"
		CALLS_SEEN=$calls
	fi
	if [ -z "$why" ]; then
		pass "$mode: ${DESC[i]}: $want"
	else
		fail "$mode: ${DESC[i]}: $want" "  $why"
	fi
}

# unesc FIELD: FIELD decoded into U (bash drops what follows a NUL, as
# an environment does); P=0 when absent.
unesc() {
	case $1 in
	-) P=0 U= ;;
	'\E') P=1 U= ;;
	*) P=1; printf -v U '%b' "$1" ;;
	esac
}

# cgi_row I: row I as one CGI run, with the environment fcgi-load would
# send as parameters.
cgi_row() {
	local i=$1 t0 rc=0 path query name
	local -a f env wrapper _settings
	local -A val=()
	local -a order=(QUERY_STRING REQUEST_METHOD CONTENT_TYPE CONTENT_LENGTH
	    SCRIPT_NAME PATH_INFO REQUEST_URI SERVER_PROTOCOL GATEWAY_INTERFACE
	    SERVER_SOFTWARE REMOTE_ADDR REMOTE_PORT SERVER_ADDR SERVER_PORT
	    SERVER_NAME HTTP_HOST HTTP_AUTHORIZATION)
	IFS=$'\t' read -r -a f < <(sed -n "$((i + 1))p" "$KINDS")
	unesc "${f[1]}"
	[ "$P" = 0 ] || val[REQUEST_METHOD]=$U
	unesc "${f[2]}"
	path=$U query=
	[ "${path#*\?}" = "$path" ] || { query=${path#*\?}; path=${path%%\?*}; }
	if [ "$P" = 1 ]; then
		val[PATH_INFO]=$path
		val[REQUEST_URI]=$U
	fi
	val[QUERY_STRING]=$query
	unesc "${f[3]}"
	[ "$P" = 0 ] || val[HTTP_AUTHORIZATION]=$U
	# The body keeps its NULs in a file.
	if [ "${f[4]}" = - ]; then
		: >"$WORK/request"
		val[CONTENT_LENGTH]='' val[CONTENT_TYPE]=''
	else
		if [ "${f[4]}" = '\E' ]; then
			: >"$WORK/request"
		else
			printf '%b' "${f[4]}" >"$WORK/request"
		fi
		val[CONTENT_LENGTH]=$(wc -c <"$WORK/request")
		val[CONTENT_TYPE]=application/json
	fi
	val[SCRIPT_NAME]=/deployer val[SERVER_PROTOCOL]=HTTP/1.1
	val[GATEWAY_INTERFACE]=CGI/1.1 val[SERVER_SOFTWARE]=t0420
	val[REMOTE_ADDR]=127.0.0.1 val[REMOTE_PORT]=40000
	val[SERVER_ADDR]=127.0.0.1 val[SERVER_PORT]=80
	val[SERVER_NAME]=localhost val[HTTP_HOST]=localhost
	for p in "${f[@]:5}"; do
		unesc "$p"
		if [ "${U:0:1}" = - ]; then
			unset "val[${U:1}]"
		else
			name=${U%%=*}
			val[$name]=${U#*=}
			case " ${order[*]} " in
			*" $name "*) ;;
			*) order+=("$name") ;;
			esac
		fi
	done
	for name in "${order[@]}"; do
		[ -z "${val[$name]+set}" ] || env+=("$name=${val[$name]}")
	done
	_lib_settings
	read -ra wrapper <<<"${CGI_WRAPPER-}"
	t0=$(date +%s%N)
	(_stack_exec_clean timeout -k 5 30 env -i "${env[@]}" "${_settings[@]}" \
	    "${wrapper[@]}" "$DEPLOYER") <"$WORK/request" >"$WORK/response" \
	    2>"$WORK/stderr" || rc=$?
	MS=$((($(date +%s%N) - t0) / 1000000))
	{
		printf '=== row %s: %s (exit %s)\n' "$i" "${DESC[i]}" "$rc"
		cat "$WORK/stderr"
	} >>"$WORK/deployer.log"
	_lib_response "$rc"
}

# ------------------------------------------------------------ CGI
for ((i = 0; i < NROWS; i++)); do
	cgi_row "$i"
	check_row cgi "$i" "$STATUS" "$MS" "$WORK/response"
done

# ------------------------------------------------------------ FastCGI
fcgi_start
mkdir "$WORK/out"
for ((i = 0; i < NROWS; i++)); do
	sed -n "$((i + 1))p" "$KINDS" >"$WORK/one.kinds"
	rm -f "$WORK/out/0.out"
	"$LOAD" -v -t 30 -d "$WORK/out" "unix:$FCGI_SOCK" "$WORK/one.kinds" \
	    >"$WORK/one.summary" 2>&1 || true
	read -r _ _ _ status us < <(grep '^req ' "$WORK/one.summary") ||
	    status=none us=0
	[ -f "$WORK/out/0.out" ] || : >"$WORK/out/0.out"
	if [ "$status" = -1 ]; then
		diag "fcgi-load: $(grep -v '^req\|^kind\|^latency\|^requests' \
		    "$WORK/one.summary")"
	fi
	check_row fcgi "$i" "$status" $((us / 1000)) "$WORK/out/0.out"
	fcgi_alive || bail_out "the FastCGI process died at row $i (${DESC[i]})"
done

# The whole table again, three times over, four connections at once.
rc=0
"$LOAD" -c 4 -n $((NROWS * 3)) -t 30 "unix:$FCGI_SOCK" "$KINDS" \
    >"$WORK/all.summary" 2>&1 || rc=$?
is "$rc" 0 "fcgi: the table three times over, 4 at a time: every answer as expected"
[ "$rc" = 0 ] || diag "$(cat "$WORK/all.summary")"
is "$(wc -l <"$CALLS")" 0 "Docker was never called"
check "the FastCGI process is alive" fcgi_alive

# Kept connections (nginx's fastcgi_keep_conn): each hostile request,
# whose body may be left unread, is followed on the same connection by a
# valid one, which must be read as sent (or the application closes the
# connection after each answer, and the client opens a new one).
while IFS= read -r line; do
	printf '%s\n' "$line"
	printf '200\tGET\t/health\t-\t-\n'
done <"$KINDS" >"$WORK/kept.kinds"
for c in 1 4; do
	rc=0
	"$LOAD" -k -c "$c" -n $((NROWS * 4)) -t 30 "unix:$FCGI_SOCK" \
	    "$WORK/kept.kinds" >"$WORK/kept.summary" 2>&1 || rc=$?
	msg="each answer as expected, the valid one after each hostile one too"
	is "$rc" 0 "fcgi, kept connections ($c): $msg"
	[ "$rc" = 0 ] || diag "$(cat "$WORK/kept.summary")"
	diag "$(grep 'closed by the application' "$WORK/kept.summary")"
done
check "the FastCGI process is alive" fcgi_alive
run_fcgi GET /health
is "$STATUS $(json_get docker)" "200 ok" "... and answers a valid request (health)"
AUTH=$T run_fcgi PUT /service/web '{"image": "local/app:v2"}'
is "$STATUS $(json_get error)" "404 no such service: web" \
    "... and a valid deploy reaches Docker (which knows no such service)"
fcgi_stop
is "$FCGI_EXIT" 0 "... and stops cleanly"
done_testing
