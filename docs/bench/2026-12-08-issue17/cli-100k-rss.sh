#!/bin/bash
export NO_COLOR=1 IRP_LOG=warn
B=/work/main/target/release/irp
pkill -f "irp serve --data-dir /tmp/bb"; sleep 1; rm -rf /tmp/bb /tmp/inv100k.results.csv*
$B serve --data-dir /tmp/bb --listen 127.0.0.1:18080 > /tmp/serve.log 2>&1 &
SERVE=$!
sleep 4
( peak=0; while kill -0 $SERVE 2>/dev/null; do r=$(ps -o rss= -p $SERVE 2>/dev/null | tr -d ' '); [ -n "$r" ] && [ "$r" -gt "$peak" ] && peak=$r && echo $peak > /tmp/serve-peak; sleep 0.5; done ) &
/usr/bin/time -v $B bulk generate /tmp/inv100k.json --url http://127.0.0.1:18080 --sandbox-json /tmp/bb/sandbox.json --gstin 29LARGE1000C1ZK --out /tmp/inv100k.results.csv --concurrency 16 > /tmp/cli.out 2> /tmp/cli.err
echo "cli exit $?"
cat /tmp/cli.out
grep -E "Maximum resident|Elapsed" /tmp/cli.err
echo "portal peak RSS KB $(cat /tmp/serve-peak)"
wc -l /tmp/inv100k.results.csv
kill $SERVE
