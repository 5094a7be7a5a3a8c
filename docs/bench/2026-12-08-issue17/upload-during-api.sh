#!/bin/bash
# usage: ab.sh CONCURRENCY LABEL
export NO_COLOR=1 IRP_LOG=warn
B=/work/main/target/release/irp
pkill -f "irp serve --data-dir /tmp/bb"; sleep 1; rm -rf /tmp/bb
IRP_BULK_CONCURRENCY=$1 IRP_BULK_MAX_DOCUMENTS=10000 IRP_BULK_MAX_BODY_BYTES=268435456 $B serve --data-dir /tmp/bb --listen 127.0.0.1:18080 > /tmp/serve.log 2>&1 &
sleep 4
U="--url http://127.0.0.1:18080 --sandbox-json /tmp/bb/sandbox.json"
$B bench $U --rate 1000 --duration 10 --concurrency 64 > /dev/null 2>&1   # warm-up
$B bench $U --rate 1000 --duration 30 --concurrency 64 --report /tmp/$2-api.json > /dev/null 2>&1 &
API=$!
sleep 3
$B bench $U --count 0 --bulk-task 10000 --report /tmp/$2-bulk.json 2>&1 | grep "bulk task"
wait $API
python3 -c "import json;d=json.load(open('/tmp/$2-api.json'));print('$2', 'p50',d['latency_ms']['p50'],'p99',d['latency_ms']['p99'],'max',d['latency_ms']['max'],'ok',d['ok'])"
pkill -f "irp serve --data-dir /tmp/bb"
