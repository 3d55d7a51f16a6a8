#!/bin/bash
# t0330-fastcgi-many.sh: 200 mixed requests through nginx to one FastCGI
# deployer process (examples/nginx-fastcgi, spawn-fcgi) get the same answers
# as the same requests to the CGI program (examples/nginx-fcgiwrap); the
# process serves them all and stays up
set -eu
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "${0%/*}/../lib.sh"
# shellcheck source-path=SCRIPTDIR source=../webserver.sh
. "${0%/*}/../webserver.sh"

N=200
ws_need fcgiwrap spawn-fcgi
ws_setup
ws_create_web
svc_create locked local/app:v1 --stop-grace-period 1s >/dev/null
ws_config nobody

# The CGI side: nginx + fcgiwrap.
ws_rundir run-cgi
ex=$WS_EXAMPLES/nginx-fcgiwrap
ws_fill "$ex/deployer-fcgiwrap.socket" "$WORK/fw.socket" RUNDIR="$WORK/run-cgi"
ws_fill "$ex/deployer-fcgiwrap.service" "$WORK/fw.service" \
    RUNDIR="$WORK/run-cgi"
ws_systemd_start fcgiwrap "$WORK/fw.service" "$WORK/fw.socket"
ws_nginx_start nginx-cgi "$ex/deployer.nginx" RUNDIR="$WORK/run-cgi"
url_cgi=$WS_URL

# The FastCGI side: nginx + one deployer under spawn-fcgi.
ws_rundir run-fcgi
ex=$WS_EXAMPLES/nginx-fastcgi
ws_fill "$ex/deployer-spawn-fcgi.service" "$WORK/sf.service" \
    RUNDIR="$WORK/run-fcgi"
ws_systemd_start fcgi "$WORK/sf.service"
fcgi_pid=$BG_PID
ws_nginx_start nginx-fcgi "$ex/deployer.nginx" RUNDIR="$WORK/run-fcgi"
url_fcgi=$WS_URL

# The requests: deploys alternating images, wrong and missing tokens, bad
# bodies, unknown services and paths, a service without the label, wrong
# methods, dry runs, status and health.  One curl process sends them all
# (a config file with `next` between requests) over one connection.
mkdir -p "$WORK/bodies"
bad=('{"image": 5}' '{"image": ' '[1]' '{}' '{"image": "Local/App:v3"}'
    '{"image": "local/app:v3", "colour": 1}' '{"image": "a", "image": "b"}')
for i in "${!bad[@]}"; do
	printf '%s' "${bad[i]}" >"$WORK/bodies/bad$i"
done
for v in v1 v2 v3; do
	printf '{"image": "local/app:%s"}' "$v" >"$WORK/bodies/$v"
done
want=()
# curl_config URL DIR: the curl configuration for the N requests, answers
# into DIR/N.
curl_config() {
	local url=$1 dir=$2 i method path body auth deploys=0
	want=()
	for ((i = 0; i < N; i++)); do
		method=PUT path=/service/web body='' auth=$WS_TOKEN
		case $((i % 10)) in
		0 | 5)
			deploys=$((deploys + 1))
			body=v$((deploys % 2 + 1))
			want+=(200)
			;;
		1) body=v3 auth=wrong-$WS_TOKEN want+=(401) ;;
		2) body=v3 auth='' want+=(401) ;;
		3) body=bad$((i / 10 % ${#bad[@]})) want+=(400) ;;
		4) method=GET path=/service/nosuch want+=(404) ;;
		6) body=v3 path=/service/locked want+=(403) ;;
		7) method=DELETE want+=(405) ;;
		8) body=v3 path='/service/web?dry_run=1' want+=(200) ;;
		9)
			if ((i % 20 == 9)); then
				method=GET path=/nowhere want+=(404)
			else
				method=GET want+=(200)
			fi
			;;
		esac
		printf 'url = "%s%s"\n' "$url" "$path"
		printf 'request = "%s"\n' "$method"
		printf 'cacert = "%s"\n' "$WS_CA"
		printf 'output = "%s/%d"\n' "$dir" "$i"
		printf 'write-out = "%%{http_code}\\n"\n'
		[ -z "$auth" ] || printf 'header = "Authorization: %s"\n' "$auth"
		if [ -n "$body" ]; then
			printf 'header = "Content-Type: application/json"\n'
			printf 'data-binary = "@%s/bodies/%s"\n' "$WORK" "$body"
		fi
		((i == N - 1)) || printf 'next\n'
	done
}

# run_all LABEL URL: send the N requests; the answers, one line each
# (status and the JSON without what differs between any two runs: request
# IDs, and live task counts in status answers) in $WORK/LABEL.answers.
run_all() {
	local label=$1 url=$2 i t0 filter
	local -a codes files json
	mkdir -p "$WORK/$label"
	curl_config "$url" "$WORK/$label" >"$WORK/$label.curl"
	# The same starting point for both runs.
	docker service update --detach --quiet --no-resolve-image \
	    --image local/app:v1 web >/dev/null
	bs_jobs "$WS_TUBE" >/dev/null
	t0=$(date +%s%N)
	curl -sS -K "$WORK/$label.curl" >"$WORK/$label.codes" 2>"$WORK/$label.err" ||
	    diag "curl: $(cat "$WORK/$label.err")"
	diag "$label: $N requests in $((($(date +%s%N) - t0) / 1000000)) ms"
	mapfile -t codes <"$WORK/$label.codes"
	# One jq for all answers (every answer is one JSON document).
	files=()
	for ((i = 0; i < N; i++)); do
		files+=("$WORK/$label/$i")
	done
	filter='del(.request_id) | if .tasks then {service, image} else . end'
	mapfile -t json < <(jq -cS "$filter" "${files[@]}" 2>/dev/null)
	if [ "${#json[@]}" != "$N" ]; then
		# jq stopped at an answer that is not JSON (from the server,
		# not the program): one at a time, to keep the lines in step.
		json=()
		for ((i = 0; i < N; i++)); do
			json+=("$(jq -cS "$filter" "${files[i]}" 2>/dev/null ||
			    printf 'not JSON: %s' "$(head -c 80 "${files[i]}" |
			    tr '\n' ' ')")")
		done
	fi
	for ((i = 0; i < N; i++)); do
		printf '%s %s\n' "${codes[i]-none}" "${json[i]-none}"
	done >"$WORK/$label.answers"
	is "${codes[*]}" "${want[*]}" "$label: every request got the status it should"
	is "$(bs_count "$WS_TUBE")" $((N / 5)) "$label: one notification per deploy"
}

run_all cgi "$url_cgi"
run_all fastcgi "$url_fcgi"
d=$(diff "$WORK/cgi.answers" "$WORK/fastcgi.answers") || true
is "$d" "" "FastCGI answers exactly as CGI does, request by request"
# The example keeps nginx's connections (fastcgi_keep_conn): the mixed
# requests above went request after request down kept connections, and
# nothing of one reached the next.
kept=$(ss -xH state established | grep -cF -- "$WORK/run-fcgi/") || true
check "... over connections nginx keeps open between requests ($kept open)" \
    [ "$kept" -ge 1 ]
like "$(sed -n 1p "$WORK/fastcgi.answers")" '^200 .*"state":"accepted"' \
    "... a deploy answer, for instance"

check "the FastCGI process is still running" ! _stack_wait_gone 0 "$fcgi_pid"
is "$(ps -o comm= -p "$fcgi_pid")" deployer "... it is the deployer"
is "$(grep -c ' status=[0-9]* ' "$WORK/fcgi.log")" "$N" \
    "... and it logged all $N requests itself"
is "$(ws_tree_pids "$fcgi_pid" deployer)" "$fcgi_pid" \
    "... the only deployer process it started"
AUTH=$WS_TOKEN WS_URL=$url_fcgi hreq GET /service/web
is "$STATUS" 200 "... and it still answers"
ws_stop fcgi
is "$BG_EXIT" 0 "SIGTERM stops it cleanly"

ws_no_sanitizer_reports
done_testing
