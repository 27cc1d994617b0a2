#!/usr/bin/env bash
# Quiet-machine series of 2026-12-02 (stop 31): the head, embedded store, hub on core 0, generator on core 1.
cd "$(dirname "$0")/../.."  # the checkout
export PORT=18680
log=/tmp/q2/series.log; mkdir -p /tmp/q2
# part 1: three sweeps (hub, Socket.IO peer, BaselineServer), 10 s warm-up at the first rate
echo "$(date -u +%H:%M:%S) sweep start | $(uptime)" >> $log
OUT=/tmp/q2/res/sweep SWEEPS=3 timeout 3000 loadtest/run.sh sweep > /tmp/q2/sweep.log 2>&1
echo "$(date -u +%H:%M:%S) sweep end rc=$? | $(uptime)" >> $log
# part 2: check-ins at 2,000/s and 20,000/s, 10 s warm-up
for i in 1 2 3; do for r in 2000 20000; do
  out=/tmp/q2/res/checkin-$r-$i; mkdir -p $out
  echo "$(date -u +%H:%M:%S) start checkin $r $i | $(uptime)" >> $log
  OUT=$out timeout 600 loadtest/run.sh checkin-storm --users 2000 --rate $r --duration 15 --warmup 10 > $out/run.log 2>&1
  echo "$(date -u +%H:%M:%S) end checkin $r $i rc=$? | $(uptime)" >> $log
done; done
# part 3: a safety check of 100,000 people, 15,000 open sessions, answers at 5,000/s
for i in 1 2; do
  out=/tmp/q2/res/safety-$i; mkdir -p $out
  echo "$(date -u +%H:%M:%S) start safety $i | $(uptime)" >> $log
  OUT=$out FAKE_TWILIO_PORT=18699 timeout 900 loadtest/run.sh safety-check --people 100000 --sessions 15000 --answer-rate 5000 --duration 20 --sms-drain-seconds 60 > $out/run.log 2>&1
  echo "$(date -u +%H:%M:%S) end safety $i rc=$? | $(uptime)" >> $log
done
echo "$(date -u +%H:%M:%S) series done" >> $log

# part 4 (run after parts 1-3): the sweep with a 60 s warm-up at 20,000/s, and check-ins at 2,000/s after 60 s
echo "$(date -u +%H:%M:%S) sweep60 start | $(uptime)" >> $log
OUT=/tmp/q2/res/sweep60 SWEEPS=3 timeout 3000 loadtest/run.sh sweep --rates 10000,20000,35000,50000,75000,100000,150000 \
  --step 10 --warmup 60 --warmup-rate 20000 > /tmp/q2/sweep60.log 2>&1
echo "$(date -u +%H:%M:%S) sweep60 end rc=$? | $(uptime)" >> $log
for i in 1 2 3; do
  out=/tmp/q2/res/checkin60-2000-$i; mkdir -p $out
  echo "$(date -u +%H:%M:%S) start checkin60 2000 $i | $(uptime)" >> $log
  OUT=$out timeout 600 loadtest/run.sh checkin-storm --users 2000 --rate 2000 --duration 15 --warmup 60 > $out/run.log 2>&1
  echo "$(date -u +%H:%M:%S) end checkin60 2000 $i rc=$? | $(uptime)" >> $log
done
echo "$(date -u +%H:%M:%S) series2 done" >> $log
