#!/usr/bin/env bash
# Quiet-machine series of stop 15 (2026-12-01), each run on a fresh hub, embedded store unless said,
# hub on core 0 and generator on core 1, every build run from a folder holding its own jar and conf/
# and the same generator (main's loadtest.jar, via a loadtest/ symlink).
#   /tmp/ab/pre  = 059f1dd (main just before the store split of issue 14 was merged)
#   /tmp/ab/post = 34dd894 (the split merged, plus the one-line import fix that made it compile)
#   /tmp/ab/s0w  = 297fb09 (the head at the start of this stop)
#   /tmp/ab/head = this stop's head
export PORT=18680
log=/tmp/ab/q/series.log; mkdir -p /tmp/ab/q
run() { # build scenario round args...
  local build=$1 scen=$2 i=$3; shift 3
  local out=/tmp/ab/q/res/$scen/$build-$i; mkdir -p "$out"
  cd /tmp/ab/$build
  echo "$(date -u +%H:%M:%S) start $build $scen $i | $(uptime)" >> $log
  OUT=$out timeout 900 loadtest/run.sh "$@" > "$out/run.log" 2>&1
  echo "$(date -u +%H:%M:%S) end   $build $scen $i rc=$? | $(uptime)" >> $log
}
# 1. Issue 14: the split alone (pre/post), and the head, alternating, the order rotated each round.
for i in 1 2 3; do
  case $i in 1) order="pre post head";; 2) order="post head pre";; 3) order="head pre post";; esac
  for b in $order; do run $b fanout $i fanout --subjects 50 --followers 200 --rate 500 --duration 15; done
  for b in $order; do run $b checkin $i checkin-storm --users 2000 --rate 20000 --duration 15 --warmup 10; done
done
# 2. Issue 23: three sweeps, hub (head), Socket.IO peer and BaselineServer, the starting server rotated.
cd /tmp/ab/head; echo "$(date -u +%H:%M:%S) sweep start | $(uptime)" >> $log
OUT=/tmp/ab/q/res/sweep SWEEPS=3 timeout 2400 loadtest/run.sh sweep > /tmp/ab/q/sweep.log 2>&1
echo "$(date -u +%H:%M:%S) sweep end rc=$? | $(uptime)" >> $log
# 3. Issue 19: a safety check of 100,000 people, 15,000 open sessions, answers at 5,000/s.
for i in 1 2; do
  if [ $i = 1 ]; then order="s0w head"; else order="head s0w"; fi
  for b in $order; do FAKE_TWILIO_PORT=18699 run $b safety $i safety-check --people 100000 --sessions 15000 --answer-rate 5000 --duration 20 --sms-drain-seconds 60; done
done
echo "$(date -u +%H:%M:%S) series done" >> $log
