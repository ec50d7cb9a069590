#!/usr/bin/env bash
# tests/cli/metrics_http.sh: GET /metrics, for admins and on the loopback listener
# (tests/http/test_metrics.py), against the real server on loopback ports. Ends with
# "N passed, N failed".
exec bash "$(dirname "$0")/../http/run.sh" test_metrics.py 180
