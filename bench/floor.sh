#!/usr/bin/env bash
# How close to Deno's floor sockdemo serve is, and how far that floor is from C:
# the C echo server of ../shared/bench, the plainest Deno echo server
# (bench/deno_floor.ts) and `sockdemo serve`, each driven by the C load client
# of ../shared/bench, round after round, each run in a fresh network namespace.
#
# The namespaces matter: the load client closes first, so every run leaves its
# connections' ports in TIME_WAIT for 60 s, and the next run's 10,000 connects
# then search for free ports (here the C server fell from 77,196 to 51,196
# msgs/s on its second run). In a fresh namespace every run starts clean.
#
# Usage (as root, for unshare -n): bench/floor.sh [ROUNDS [CONNS [MESSAGES]]]
#        (default 5 rounds of 10,000 connections x 10 messages of 64 bytes)
# Prints msgs/s and the server's CPU seconds (user + system) per run.
set -eu
rounds=${1:-5}
conns=${2:-10000}
messages=${3:-10}
here=$(cd "$(dirname "$0")" && pwd)
shared=$here/../../shared/bench
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
gcc -O2 -o "$tmp/loadgen" "$shared/loadgen.c"
gcc -O2 -o "$tmp/echo_epoll" "$shared/echo_epoll.c"
perm="--allow-net --allow-read --allow-write --allow-ffi --allow-env=DENO_TOKIO_MAX_IO_EVENTS_PER_TICK"
servers=(
  "C echo_epoll|$tmp/echo_epoll 7000"
  "plain Deno|DENO_TOKIO_MAX_IO_EVENTS_PER_TICK=64 deno run --allow-net --unstable-net $here/deno_floor.ts 7000"
  "sockdemo serve|deno run $perm $here/../main.ts serve --quiet --port 7000"
)
deno --version | head -1
echo "$conns connections x $messages messages of 64 bytes, depth 1 (loadgen), fresh netns per run"

one() { # COMMAND: prints "MSGS_PER_S CPU_SECONDS"
  unshare -n bash -c "
    ip link set lo up
    $1 >/dev/null 2>&1 & s=\$!
    for _ in \$(seq 100); do (echo >/dev/tcp/127.0.0.1/7000) 2>/dev/null && break; sleep 0.1; done
    sleep 0.5
    cpu() { cat /proc/\$s/task/*/stat 2>/dev/null | awk '{t += \$14 + \$15} END {print t}'; }
    t0=\$(cpu)
    m=\$('$tmp/loadgen' echo 127.0.0.1 7000 $conns $messages 64 1 120 | grep -o 'msgs_per_s=[0-9]*' | cut -d= -f2)
    echo \"\$m \$(( \$(cpu) - t0 ))\"
    kill \$s; wait \$s 2>/dev/null || true"
}

for r in $(seq "$rounds"); do
  line="round $r:"
  base=
  for entry in "${servers[@]}"; do
    read -r rate cpu <<<"$(one "${entry#*|}")"
    base=${base:-$rate}
    line+=$(printf "  %s %s msgs/s (%.2fx, cpu %.2f s)" "${entry%%|*}" "$rate" \
      "$(echo "$rate / $base" | bc -l)" "$(echo "$cpu / 100" | bc -l)")
  done
  echo "$line"
done
