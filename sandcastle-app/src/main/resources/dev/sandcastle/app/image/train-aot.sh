#!/bin/sh
# The training run of the JVM's AOT cache (JEP 483/514/515), at image build: starts `sandcastle
# terminal` as the image's entry point does (the launcher's options; SANDCASTLE_AOT_OUTPUT makes it
# record), sends it what a new tenant's first minute sends (health checks, a command and its status,
# file writes, reads and listings), stops it with SIGTERM, and the JVM writes the cache as it exits.
# Classes the cache holds are loaded and linked ahead of time when a workspace starts, which halves
# the JVM's CPU on the way to the first command.
# Usage: train-aot OUTPUT, as the workspace user in the image's file system (bwrap at
# `sandcastle image build`, a RUN step of deploy/docker/Dockerfile). Also the check that the image's
# Java runs the workspace server: it fails when the server does not answer.
set -eu
out=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/home"
key=aot-training-key-not-used-elsewhere
port=18000
SANDCASTLE_AOT_OUTPUT=$out SANDCASTLE_API_KEY=$key SANDCASTLE_GENERATE_API_KEY=false \
  /usr/local/bin/sandcastle terminal --sandbox none --host 127.0.0.1 --port $port --workspace "$work/home" \
  --data-dir "$work/data" >"$work/log" 2>&1 &
server=$!
base=http://127.0.0.1:$port
tries=0
until curl -fsS -o /dev/null "$base/health" 2>/dev/null; do
  tries=$((tries + 1))
  if [ $tries -gt 1200 ] || ! kill -0 $server 2>/dev/null; then
    echo "train-aot: the workspace server did not start:" >&2
    cat "$work/log" >&2
    exit 1
  fi
  sleep 0.05
done
call() {
  curl -fsS -o /dev/null -H "Authorization: Bearer $key" "$@"
}
for round in 1 2 3; do
  curl -fsS -o /dev/null "$base/health"
  call -H 'Content-Type: application/json' -d '{"command":"echo hi"}' "$base/execute?wait=10"
  call -H 'Content-Type: application/json' -d '{"path":"notes/a.txt","content":"a\n"}' "$base/files/write"
  call "$base/files/read?path=notes/a.txt"
  call "$base/files/list?directory=."
  curl -sS -o /dev/null -H "Authorization: Bearer $key" "$base/execute/none/status"
done
kill -TERM $server
status=0
wait $server || status=$?
if [ ! -s "$out" ]; then
  echo "train-aot: no AOT cache was written (server exit status $status):" >&2
  cat "$work/log" >&2
  exit 1
fi
