
# part 4 (run after, as its own script): the sweep with a 60 s warm-up at 20,000/s, and check-ins at 2,000/s after 60 s
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
