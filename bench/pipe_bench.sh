#!/usr/bin/env bash
# `connect --pipe` sending 1 GB into a discard server (socat -u TCP-LISTEN:P OPEN:/dev/null),
# beside `ncat --send-only` and `socat -u OPEN:file TCP:...`, three rounds, MB/s each.
# Needs socat and ncat (Debian: apt-get install socat ncat). Run from the project root.
set -u
cd "$(dirname "$0")/.."
file=$(mktemp)
trap 'rm -f "$file"' EXIT
head -c 1000000000 /dev/zero > "$file"
port=$((20000 + RANDOM % 20000))
t() { local s=$(date +%s.%N); "$@"; local e=$(date +%s.%N); echo "scale=1; 1000/($e-$s)" | bc; }
for round in 1 2 3; do
  for who in sockdemo ncat socat; do
    port=$((port+1))
    socat -u TCP-LISTEN:$port,reuseaddr OPEN:/dev/null & srv=$!
    sleep 0.3
    case $who in
      sockdemo) r=$(t sh -c "deno run --allow-net --allow-read main.ts connect --pipe --port $port < $file > /dev/null");;
      ncat) r=$(t sh -c "ncat --send-only 127.0.0.1 $port < $file");;
      socat) r=$(t socat -u OPEN:$file TCP:127.0.0.1:$port);;
    esac
    wait $srv
    echo "round $round $who $r MB/s"
  done
done
