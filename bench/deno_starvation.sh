#!/usr/bin/env bash
# A reproduction for Deno, with nothing of sockdemo in it: a plain Deno echo
# server (bench/deno_echo.ts, one async function per connection) driven by the
# C load client (bench/load_client.c), with Deno's default runtime and then with
# DENO_TOKIO_MAX_IO_EVENTS_PER_TICK at each value given.
#
# Since Deno 2.3.7 (tokio 1.45, whose cooperative budget defers a future refused
# for budget until the next turn of the I/O driver), a turn that brings 128 or
# more events lets the connections that just replied take the whole budget of
# the one task that polls every op, turn after turn, and the others wait:
# "first reply max" grows to seconds, and a steady run never gets every
# connection answered. A turn of at most 64 events keeps every connection served.
#
# Usage: bench/deno_starvation.sh [CONNS [MESSAGES [VALUES]]]
#        (default 5000 connections, 200 round trips of 64 bytes, values "64 128 256")
# Needs deno, gcc and `ulimit -n` above twice CONNS. Loopback only.
set -eu
conns=${1:-5000}
messages=${2:-200}
values=${3:-64 128 256}
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'kill $server 2>/dev/null || true; rm -rf "$tmp"' EXIT
gcc -O2 -o "$tmp/load_client" "$here/load_client.c"
deno --version | head -1
echo "$conns connections x $messages round trips of 64 bytes, depth 1 (C load client)"

run() { # LABEL [VARIABLE=VALUE]
  local label=$1 port
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  env ${2:-} deno run --allow-net "$here/deno_echo.ts" "$port" >/dev/null &
  server=$!
  for _ in $(seq 100); do (echo >"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
  local out
  out=$("$tmp/load_client" echo 127.0.0.1 "$port" "$conns" "$messages" 64 1 60 2>/dev/null || true)
  kill "$server"; wait "$server" 2>/dev/null || true
  # Figures in milliseconds; -1: some connection never had a reply within 60 s.
  awk -v label="$label" '{
    for (i = 1; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
    printf "%-38s %8s msgs/s  reply p99 %6.0f ms  max %6.0f ms  first reply p50 %6.0f ms  p99 %6.0f ms  max %6.0f ms  errors %s\n",
      label, f["msgs_per_s"], f["p99_us"] / 1000, f["max_us"] / 1000, f["first_p50_us"] / 1000,
      f["first_p99_us"] / 1000, f["first_max_us"] / 1000, f["errors"]
  }' <<<"$out"
}

run "default (1024 events per turn)"
for v in $values; do run "DENO_TOKIO_MAX_IO_EVENTS_PER_TICK=$v" "DENO_TOKIO_MAX_IO_EVENTS_PER_TICK=$v"; done
