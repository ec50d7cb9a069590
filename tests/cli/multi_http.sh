#!/usr/bin/env bash
# tests/cli/multi_http.sh: three servers on one database (tests/http/test_multi.py): shared
# sessions, contested moves from eight clients, timers raced by six runners, the audit chain
# afterwards; on the store the harness gives (a SQLite file, or PostgreSQL). Ends with
# "N passed, N failed".
exec bash "$(dirname "$0")/../http/run.sh" test_multi.py 180
