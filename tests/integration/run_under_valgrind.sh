#!/usr/bin/env bash
# run_under_valgrind.sh -- the integration tests with every tollgate process
# (server and CLI) run under valgrind memcheck.
#
#   bash tests/integration/run_under_valgrind.sh [BUILD-DIR] [TEST...]
#
# BUILD-DIR (default build-ci-valgrind) holds a built `tollgate` (a -O0
# Debug build reads best; no sanitizers -- valgrind and ASan do not mix).
# TEST names tests/integration/test_*.sh (default: every one of them).  Each test
# gets TOLLGATE pointing at a wrapper that execs
#   valgrind --leak-check=full --errors-for-leak-kinds=definite --error-exitcode=99
# on the real binary, one log per process in BUILD-DIR/memcheck-integration/,
# so a memory error or a definite leak makes that process exit 99 (which
# the tests already fail on: a server must exit 0 on SIGTERM, the CLI with
# its documented status) and is listed from the logs at the end.
# The timing-sensitive tests (slow-client reaping, deadlines, rotation and
# reload under load) pass under valgrind on an otherwise idle machine, as CI
# is; on a loaded one, run them under ASan instead.  Exits non-zero if any
# test or log failed.
set -uo pipefail
SRC=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=$(cd "${1:-build-ci-valgrind}" && pwd) || exit 2
shift || true
tests=("$@")
if [ ${#tests[@]} -eq 0 ]; then
    for t in "$SRC"/tests/integration/test_*.sh; do
        tests+=("$(basename "$t")")
    done
fi
REAL=$BUILD/tollgate
[ -x "$REAL" ] || { echo "no $REAL: build the tollgate target first"; exit 2; }
command -v valgrind >/dev/null || { echo "valgrind is required"; exit 2; }
logs=$BUILD/memcheck-integration
rm -rf "$logs"
mkdir -p "$logs"
wrapper=$logs/tollgate
cat >"$wrapper" <<WRAP
#!/bin/sh
exec valgrind -q --leak-check=full --show-leak-kinds=definite \\
    --errors-for-leak-kinds=definite --error-exitcode=99 --log-file="$logs/%p.vg" "$REAL" "\$@"
WRAP
chmod +x "$wrapper"

export SRC BUILD
status=0
for t in "${tests[@]}"; do
    t=${t%.sh}
    start=$(date +%s)
    if TOLLGATE=$wrapper bash "$SRC/tests/integration/$t.sh" \
        >"$logs/$t.out" 2>&1; then
        echo "valgrind: $t passed ($(($(date +%s) - start)) s)"
    else
        echo "valgrind: $t FAILED ($(($(date +%s) - start)) s)"
        grep -v '^ok:' "$logs/$t.out" | tail -20
        status=1
    fi
done
# One log per process; a clean one is empty under -q.
n=0
for log in "$logs"/*.vg; do
    [ -e "$log" ] || continue
    n=$((n + 1))
    if [ -s "$log" ]; then
        echo "valgrind report in $log:"
        head -40 "$log"
        status=1
    fi
done
echo "valgrind: $n tollgate processes checked"
[ "$n" -gt 0 ] || { echo "no tollgate process ran under valgrind"; status=1; }
exit "$status"
