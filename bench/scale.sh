#!/usr/bin/env bash
# The scaling curve on the lent many-core machine (see ../shared/device/README.md):
# servers on CPUs 0-7, load clients on 8-15, so they never share a core.
# `serve --workers W` for W = 1, 2, 4, 8 beside the single-threaded C server,
# driven by 8 C load clients; `connect --workers W` beside one C load client.
# Run from the project's root after `source .kit/on-device.sh`; extra arguments
# go to bench/run.ts.
set -eu
cd "$(dirname "$0")/.."
deno run --cached-only --allow-run --allow-read --allow-write --allow-net=127.0.0.1 \
  bench/run.ts --offline --c-tools .kit --only scaling,client-scaling \
  --workers 1,2,4,8 --clients 8 --pin-server 0-7 --pin-clients 8-15 --rounds 1 --seconds 3 "$@"
