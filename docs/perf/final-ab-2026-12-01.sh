#!/usr/bin/env bash
# Final A/B of this stop: 77ccdf3 (before issue 13's layering and issue 21's keyword watch) against
# main's head, alternating, each run on a fresh hub, from a folder holding its own jar and conf/
# and the same generator (main's loadtest.jar).
# Folders: /tmp/ab/before = conf/ and target/crisis-hub.jar of a 77ccdf3 build, with loadtest/ a
# symlink to the head's loadtest/ (run.sh cds to the folder above itself, so each build reads its own
# conf/); /tmp/ci1/main = a clone of the head, built (mvn package, and loadtest/ package).
export PORT=18680
log=/tmp/ab/series.log
run() { # build scenario round args...
  local build=$1 scen=$2 i=$3; shift 3
  local out=/tmp/ab/res/$build-$scen-$i; mkdir -p "$out"
  if [ $build = before ]; then cd /tmp/ab/before; else cd /tmp/ci1/main; fi
  echo "$(date -u +%H:%M:%S) start $build $scen $i | $(uptime)" >> $log
  OUT=$out timeout 600 loadtest/run.sh "$@" > "$out/run.log" 2>&1
  echo "$(date -u +%H:%M:%S) end   $build $scen $i rc=$? | $(uptime)" >> $log
}
for i in 1 2 3; do
  if [ $((i % 2)) = 1 ]; then order="before after"; else order="after before"; fi
  for b in $order; do run $b fanout $i fanout --subjects 50 --followers 200 --rate 500 --duration 15; done
  for b in $order; do run $b checkin $i checkin-storm --users 2000 --rate 20000 --duration 15 --warmup 10; done
  for b in $order; do run $b watch0 $i checkin-storm --users 2000 --rate 500 --duration 15 --warmup 10 --help-share 0.2 --watch-terms 0; done
  run after watch1000 $i checkin-storm --users 2000 --rate 500 --duration 15 --warmup 10 --help-share 0.2 --watch-terms 1000
done
echo "$(date -u +%H:%M:%S) series done" >> $log
