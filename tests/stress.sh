#!/usr/bin/env bash
# Runs the concurrent indexing test many times in a row beside two CPU burners, on SQLite and,
# when TEST_DATABASE_URL is set, on PostgreSQL: a race shows up under load or not at all.
# Usage: tests/stress.sh [RUNS]   (make stress)
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS="${1:-50}"
PYTHON="${PYTHON:-.venv/bin/python}"
TEST="tests/integration/test_search_concurrency.py::test_processes_writing_and_indexing_at_once_lose_nothing"

burners=()
for _ in 1 2; do
  "$PYTHON" -c "while True: pass" &
  burners+=($!)
done
trap 'kill "${burners[@]}" 2>/dev/null || true' EXIT

echo "Running $TEST $RUNS times on SQLite beside two CPU burners"
"$PYTHON" -m pytest "$TEST" --db=sqlite --count="$RUNS" -x -q -p no:cacheprovider
if [ -n "${TEST_DATABASE_URL:-}" ]; then
  echo "Running it $RUNS times on PostgreSQL ($TEST_DATABASE_URL), with both search backends"
  "$PYTHON" -m pytest "$TEST" --db=postgres --count="$RUNS" -x -q -p no:cacheprovider
fi
