#!/bin/bash
# usage: ab2.sh CONCURRENCY LABEL: the task submitted first, the API load measured while it runs
export NO_COLOR=1 IRP_LOG=warn
B=/work/main/target/release/irp
pkill -f "irp serve --data-dir /tmp/bb"; sleep 1; rm -rf /tmp/bb
IRP_BULK_CONCURRENCY=$1 IRP_BULK_MAX_DOCUMENTS=10000 IRP_BULK_MAX_BODY_BYTES=268435456 $B serve --data-dir /tmp/bb --listen 127.0.0.1:18080 > /tmp/serve.log 2>&1 &
sleep 4
U="--url http://127.0.0.1:18080 --sandbox-json /tmp/bb/sandbox.json"
$B bench $U --rate 1000 --duration 5 --concurrency 64 > /dev/null 2>&1   # warm-up
$B bench $U --count 0 --bulk-task 10000 --report /tmp/$2-bulk.json > /tmp/$2-bulk.out 2>&1 &
BULK=$!
sleep 5
$B bench $U --rate 1000 --duration ${3:-15} --concurrency 64 --report /tmp/$2-api.json > /dev/null 2>&1
grep "bulk task" /tmp/$2-bulk.out || echo "the task was still running when the API run ended"
wait $BULK
grep "bulk task" /tmp/$2-bulk.out
python3 -c "import json;d=json.load(open('/tmp/$2-api.json'));print('$2', 'p50',d['latency_ms']['p50'],'p99',d['latency_ms']['p99'],'max',d['latency_ms']['max'],'ok',d['ok'])"
pkill -f "irp serve --data-dir /tmp/bb"
