#!/bin/bash
# t0700-metrics.sh: GET /metrics scraped by a real Prometheus through nginx,
# once with CGI (fcgiwrap) and once with two FastCGI processes behind one
# socket (spawn-fcgi -F 2): after the same scripted requests its query API
# returns the exact counts; promtool accepts every mode's output; history
# returns exactly the sequence that ran; unauthenticated requests add no
# service label
set -eu
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "${0%/*}/../lib.sh"
# shellcheck source-path=SCRIPTDIR source=../webserver.sh
. "${0%/*}/../webserver.sh"
# shellcheck source-path=SCRIPTDIR source=../stack-ops.sh
. "${0%/*}/../stack-ops.sh"

ws_need fcgiwrap spawn-fcgi cgi-fcgi prometheus promtool
ws_setup
ws_config nobody
PROM_TOKEN=prom-$$-$RANDOM$RANDOM
prom_hash=$(printf '%s' "$PROM_TOKEN" | "$DEPLOYER" --hash-token=prom 2>/dev/null)

# mode_config MODE [audit]: $WORK/MODE.conf, the example's settings plus a
# metrics-only token and the mode's own state, spool (and audit file).
mode_config() {
	local m=$1
	mkdir -p "$WORK/$m/state" "$WORK/$m/spool" "$WORK/$m/audit"
	chown -R nobody "$WORK/$m"
	{
		cat "$WORK/deployer.conf"
		printf '%s actions=metrics\n' "$prom_hash"
		printf 'state_dir = %s\n' "$WORK/$m/state"
		printf 'spool_dir = %s\n' "$WORK/$m/spool"
		[ "${2-}" != audit ] ||
		    printf 'audit_file = %s\n' "$WORK/$m/audit/audit.log"
	} >"$WORK/$m.conf"
	chown nobody "$WORK/$m.conf"
	chmod 0600 "$WORK/$m.conf"
}

# promtool_ok LABEL: the body just fetched passes `promtool check metrics`.
promtool_ok() {
	local out rc=0
	out=$(printf '%s\n' "$BODY" | promtool check metrics 2>&1) || rc=$?
	is "$rc" 0 "$1: promtool check metrics accepts the output"
	[ "$rc" = 0 ] || diag "$out"
}

# prom_start TARGET_PORT: a Prometheus scraping https://127.0.0.1:PORT
# /deploy/metrics every second with the metrics token, as a scrape_config
# in production would (examples/prometheus/prometheus.yml).
prom_start() {
	local dir=$WORK/prom-$1 ex=$WS_EXAMPLES/prometheus
	mkdir -p "$dir/data"
	printf '%s' "$PROM_TOKEN" >"$dir/token"
	"$WS_EXAMPLES/fill" "$ex/prometheus.yml" SERVER_NAME=127.0.0.1 \
	    PORT="$1" METRICS_TOKEN_FILE="$dir/token" CA_FILE="$WS_CA" |
	    sed -e 's/^\( *\)#\(tls_config:\|  ca_file:\)/\1\2/' \
	    -e 's/_interval: 30s/_interval: 1s/' >"$dir/prometheus.yml"
	cp "$ex/deployer-rules.yml" "$dir/"
	is "$(grep -c '^ *\(tls_config\|ca_file\|.*_interval: 1s\)' \
	    "$dir/prometheus.yml")" 4 "the example with its CA and 1 s intervals"
	check "promtool check config accepts it" \
	    promtool check config "$dir/prometheus.yml"
	PROM_PORT=$(free_port)
	bg_start "prom-$1" prometheus --config.file="$dir/prometheus.yml" \
	    --storage.tsdb.path="$dir/data" \
	    --web.listen-address="127.0.0.1:$PROM_PORT"
	wait_tcp "$PROM_PORT" 30
}

# prom_wait_alert NAME SERVICE: the alert fires for SERVICE (60 s at most).
prom_wait_alert() {
	local i v
	for ((i = 0; i < 300; i++)); do
		v=$(pq "ALERTS{alertname=\"$1\",service=\"$2\",alertstate=\"firing\"}")
		[ "$v" != 1 ] || return 0
		sleep 0.2
	done
	return 1
}

# pq EXPR: the value of the query's first sample, "none" when empty.
pq() {
	curl -sS -G "http://127.0.0.1:$PROM_PORT/api/v1/query" \
	    --data-urlencode "query=$1" |
	    jq -r 'if .data.result | length == 0 then "none"
	        else .data.result[0].value[1] end'
}

# prom_wait_scrape SINCE: wait until Prometheus has scraped the program
# successfully after unix time SINCE.
prom_wait_scrape() {
	local i t
	for ((i = 0; i < 600; i++)); do
		# timestamp() of the selector itself: of an expression
		# (up == 1) Prometheus 2.42 gives the evaluation time, which
		# would pass before any new scrape.
		t=$(pq 'timestamp(up{job="deployer"}) and up{job="deployer"} == 1')
		if [ "$t" != none ] && [ "${t%.*}" -gt "$1" ]; then
			return 0
		fi
		sleep 0.2
	done
	diag "no successful scrape after $1 (last: $t)"
	return 1
}

# sequence LABEL SVC: the scripted requests: three deploys (the last one
# with ?wait while beanstalkd is down: its notification is spooled), a
# failed rollout, refusals.  Fills IDS with the request IDs of what ran.
sequence() {
	local l=$1 svc=$2 AUTH=$WS_TOKEN
	IDS=()
	bs_jobs "$WS_TUBE" >/dev/null
	hreq PUT "/service/$svc" '{"image": "local/app:v2"}'
	is "$STATUS" 200 "$l: deploy 1: 200"
	IDS=("$(hdr_get X-Request-Id)" "${IDS[@]}")
	hreq PUT "/service/$svc" '{"image": "local/app:v3"}'
	is "$STATUS" 200 "$l: deploy 2: 200"
	IDS=("$(hdr_get X-Request-Id)" "${IDS[@]}")
	hreq PUT "/service/$svc?wait=120" '{"image": "local/crash:v1"}'
	is "$STATUS" 502 "$l: a failed rollout: 502"
	IDS=("$(hdr_get X-Request-Id)" "${IDS[@]}")
	is "$(svc_wait_update "$svc" 120)" rollback_completed \
	    "$l: ... Swarm rolled it back"
	stack_bs_stop "$STACK_DIR"
	# The third deploy waits for its rollout; meanwhile the refusals.
	curl -sS --cacert "$WS_CA" -X PUT -H "Authorization: $WS_TOKEN" \
	    -d '{"image": "local/app:v1"}' -D "$WORK/bg.headers" \
	    -o "$WORK/bg.body" "$WS_URL/service/$svc?wait=120" &
	local bg=$! i
	for ((i = 0; i < 300; i++)); do
		[ "$(svc_update_state "$svc")" != updating ] || break
		sleep 0.2
	done
	AUTH=wrong-$WS_TOKEN hreq PUT "/service/$svc" '{"image": "local/app:v2"}'
	is "$STATUS" 401 "$l: a wrong token: 401"
	AUTH=wrong-$WS_TOKEN hreq PUT "/service/ghost-$l" '{"image": "local/app:v2"}'
	is "$STATUS" 401 "$l: a wrong token for another service: 401"
	HREQ_NOAUTH=1 hreq GET "/service/ghost2-$l"
	is "$STATUS" 401 "$l: no token: 401"
	AUTH=$PROM_TOKEN hreq PUT "/service/$svc" '{"image": "local/app:v2"}'
	is "$STATUS" 403 "$l: the metrics token may not deploy: 403"
	AUTH=$PROM_TOKEN hreq GET "/service/$svc/history"
	is "$STATUS" 403 "$l: ... nor read the history: 403"
	# Answered while deploy 3 still waits: another process served them.
	BUSY=$(kill -0 "$bg" 2>/dev/null && echo yes || echo no)
	wait "$bg"
	BODY=$(cat "$WORK/bg.body")
	is "$(json_get state) $(json_get notification)" "completed spooled" \
	    "$l: deploy 3 completed; its notification is spooled"
	IDS=("$(tr -d '\r' <"$WORK/bg.headers" |
	    sed -n 's/^[Xx]-[Rr]equest-[Ii]d: //p')" "${IDS[@]}")
}

# check_counts LABEL SVC: Prometheus' numbers after the sequence.
check_counts() {
	local l=$1 s=$2 d
	d="deployer_deploys_total{service=\"$s\",action=\"deploy\""
	is "$(pq "$d,outcome=\"accepted\"}")" 2 "$l: Prometheus: 2 accepted"
	is "$(pq "$d,outcome=\"completed\"}")" 1 "$l: ... 1 completed"
	is "$(pq "$d,outcome=\"failed\",code=\"5xx\"}")" 1 \
	    "$l: ... 1 failed with 5xx"
	is "$(pq "$d,outcome=\"failed\",code=\"4xx\"}")" 0 "$l: ... none with 4xx"
	is "$(pq 'deployer_refused_total{action="deploy",reason="unauthenticated"}')" 2 \
	    "$l: ... 2 deploys refused as unauthenticated"
	is "$(pq 'deployer_refused_total{action="status",reason="unauthenticated"}')" 1 \
	    "$l: ... 1 status request refused as unauthenticated"
	is "$(pq 'deployer_refused_total{action="deploy",reason="scope"}')" 1 \
	    "$l: ... 1 deploy refused by scope"
	is "$(pq 'deployer_notifications_total{channel="beanstalkd",outcome="sent"}')" 3 \
	    "$l: ... 3 notifications sent"
	is "$(pq 'deployer_notifications_total{channel="beanstalkd",outcome="spooled"}')" 1 \
	    "$l: ... 1 spooled"
	is "$(pq 'deployer_spool_messages')" 1 "$l: ... 1 waits in the spool"
	is "$(pq 'deployer_deploy_duration_seconds_count{action="deploy"}')" 4 \
	    "$l: ... 4 deploys timed"
	is "$(pq 'deployer_deploy_duration_seconds_count{action="rollback"}')" 0 \
	    "$l: ... no rollbacks"
	is "$(pq "deployer_last_success_timestamp_seconds{service=\"$s\"} >= $T0")" \
	    "$(pq "deployer_last_success_timestamp_seconds{service=\"$s\"}")" \
	    "$l: ... the last success is from this run"
	is "$(pq 'count(deployer_deploys_total{service=~"ghost.*"})')" none \
	    "$l: ... no service label from unauthenticated requests"
	is "$(pq 'count(deployer_last_success_timestamp_seconds{service=~"ghost.*"})')" none \
	    "$l: ... anywhere"
	like "$(pq 'deployer_build_info{docker_api=~"1[.][0-9]+",libcurl!=""}')" '^1$' \
	    "$l: ... build info with libcurl and the negotiated API version"
	check "$l: the example's alert for a failed deploy fires" \
	    prom_wait_alert DeployerDeployFailed "$s"
	is "$(pq 'count(ALERTS{alertname="DeployerSpoolNotDraining"})')" none \
	    "$l: ... the spool alert waits for its 15 minutes"
}

# check_history LABEL SVC: exactly the sequence, newest first.
check_history() {
	local l=$1 s=$2 AUTH=$WS_TOKEN
	hreq GET "/service/$s/history"
	is "$STATUS" 200 "$l: history: 200"
	is "$(json_get '.history | map("\(.action) \(.image_after) \(.outcome) \(.status) \(.token)") | join(", ")')" \
	    "deploy local/app:v1 completed 200 default, deploy local/crash:v1 error 502 default, deploy local/app:v3 accepted 200 default, deploy local/app:v2 accepted 200 default" \
	    "$l: ... exactly what ran, newest first"
	is "$(json_get '.history | map(.request_id) | join(" ")')" "${IDS[*]}" \
	    "$l: ... with the requests' IDs"
	is "$(json_get '.history | map(.image_before) | join(" ")')" \
	    "local/app:v3 local/app:v3 local/app:v2 local/app:v1" \
	    "$l: ... and the image before each"
	hreq GET "/service/$s/history?limit=2"
	is "$(json_get '.history | map(.request_id) | join(" ")')" "${IDS[*]:0:2}" \
	    "$l: ?limit=2: the two newest"
	hreq GET "/service/$s/history?limit=501"
	is "$STATUS" 400 "$l: ?limit above the maximum: 400"
	hreq GET "/service/$s/history?wait=1"
	is "$STATUS" 400 "$l: ?wait on history: 400"
}

# scraped_run LABEL SVC: Prometheus scraping the server at WS_PORT while
# the sequence runs, then the counts and the history; beanstalkd back.
scraped_run() {
	local t
	prom_start "$WS_PORT"
	sequence "$1" "$2"
	t=$(date +%s)
	AUTH=$PROM_TOKEN hreq GET /metrics
	promtool_ok "$1, after the sequence"
	local direct=$BODY
	prom_wait_scrape "$t"
	check_counts "$1" "$2"
	# On a mismatch: what the program itself said, beside Prometheus.
	[ "$_tap_failed" = 0 ] ||
	    diag "GET /metrics after the sequence:" \
	        "$(grep -E '^deployer_(deploys|refused|notifications)_total' <<<"$direct")"
	check_history "$1" "$2"
	stack_bs_start "$STACK_DIR"
	ws_stop "prom-$WS_PORT"
}

svc_opts=(--label deployer.allowUpdates=true --stop-grace-period 1s
    --update-delay 0s --update-failure-action rollback --update-monitor 4s
    --update-max-failure-ratio 0 --rollback-monitor 1s)
svc_create m-cgi local/app:v1 "${svc_opts[@]}" >/dev/null
svc_create m-fcgi local/app:v1 "${svc_opts[@]}" >/dev/null
T0=$(date +%s)

# --- CGI: nginx + fcgiwrap --------------------------------------------------
mode_config cgi audit
ex=$WS_EXAMPLES/nginx-fcgiwrap
ws_rundir run-cgi
ws_fill "$ex/deployer-fcgiwrap.socket" "$WORK/fw.socket" RUNDIR="$WORK/run-cgi"
ws_fill "$ex/deployer-fcgiwrap.service" "$WORK/fw.service" \
    RUNDIR="$WORK/run-cgi"
ws_systemd_start fcgiwrap "$WORK/fw.service" "$WORK/fw.socket"
ws_nginx_start nginx-cgi "$ex/deployer.nginx" RUNDIR="$WORK/run-cgi" \
    CONFIG="$WORK/cgi.conf"
AUTH=$PROM_TOKEN hreq GET /metrics
is "$STATUS" 200 "cgi: GET /metrics with the metrics token: 200"
like "$(hdr_get Content-Type)" '^text/plain; version=0.0.4' \
    "cgi: ... in the text exposition format"
promtool_ok "cgi, fresh"
AUTH=$WS_TOKEN hreq GET /metrics
is "$STATUS" 200 "cgi: the full-scope TOKEN may read them too"
scraped_run cgi m-cgi
ws_stop nginx-cgi

# --- two FastCGI processes behind one socket (spawn-fcgi -F 2) -------------
mode_config fcgi audit
ws_rundir run-fcgi
spawn-fcgi -F 2 -P "$WORK/fcgi.pids" -s "$WORK/run-fcgi/fcgi.sock" -M 0660 \
    -G www-data -u nobody -g docker -- "$WS_DEPLOYER" \
    --config "$WORK/fcgi.conf" >"$WORK/spawn.log" 2>&1
mapfile -t fpids <"$WORK/fcgi.pids"
# shellcheck disable=SC2016 # expanded when the test exits
at_exit 'kill "${fpids[@]}" 2>/dev/null || true'
is "${#fpids[@]}" 2 "fcgi: spawn-fcgi -F 2 started two processes"
ws_nginx_start nginx-fcgi "$WS_EXAMPLES/nginx-fastcgi/deployer.nginx" \
    RUNDIR="$WORK/run-fcgi"
AUTH=$PROM_TOKEN hreq GET /metrics
is "$STATUS" 200 "fcgi: GET /metrics: 200"
promtool_ok "fcgi x2, fresh"
scraped_run fcgi m-fcgi
# While deploy 3 waited in one process, the other answered the refusals.
check "fcgi: the refusals were answered while one process waited for the rollout" \
    [ "$BUSY" = yes ]
ws_stop nginx-fcgi
kill "${fpids[@]}" 2>/dev/null || true

# --- one FastCGI process, no audit file -------------------------------------
mode_config one
CGI_ENV="DEPLOYER_CONFIG=$WORK/one.conf"
fcgi_start
AUTH=$PROM_TOKEN run_fcgi GET /metrics
is "$STATUS" 200 "one fcgi: GET /metrics: 200"
promtool_ok "one fcgi"
AUTH=$WS_TOKEN run_fcgi GET /service/m-cgi/history
is "$STATUS" 404 "no audit_file: history is 404"
like "$(json_get error)" "audit_file" "... saying how to enable it"
AUTH=$WS_TOKEN run_fcgi PUT /service/m-cgi '{"image": "local/app:v2"}'
AUTH=$PROM_TOKEN run_fcgi GET /metrics
like "$BODY" 'deployer_deploys_total\{service="m-cgi",action="deploy",outcome="accepted",code="2xx"\} 1' \
    "one fcgi: its own state_dir counts its deploy"
promtool_ok "one fcgi, after a deploy"
fcgi_stop

ws_no_sanitizer_reports
done_testing
