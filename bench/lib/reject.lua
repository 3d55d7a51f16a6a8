-- reject.lua: wrk script: PUT a deploy with a wrong token (401 expected)
wrk.method = "PUT"
wrk.headers["Authorization"] = "Bearer wrong-token-for-the-benchmark"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"image": "127.0.0.1:5000/app:v2"}'
