#!/bin/sh
# README command 2: install what the tests need, build, run the whole suite
# with node's built-in test runner. Extra arguments select test files
# (globs under dist/), e.g. scripts/test.sh 'dist/test/unit/**/*.test.js'.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
# Stale compiled tests of deleted sources must not run.
rm -rf dist/test
scripts/ensure-deps.sh --test

if [ "$#" -eq 0 ]; then
  set -- 'dist/test/unit/**/*.test.js' 'dist/test/integration/**/*.test.js'
fi
# Integration tests start daemons, mount filesystems and create network
# namespaces: they run one file at a time.
exec node_modules/node/bin/node --test --test-reporter=spec --test-concurrency=1 --test-timeout=600000 "$@"
