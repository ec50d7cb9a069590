#!/usr/bin/env bash
# tests/cli/family_http.sh: families take part (tests/http/test_family.py) against the real server
# on a loopback port: family accounts from an invitation, their own family page and nothing
# else, the communication book, the parent's own move, shared decisions, consent and the
# outbox, the other parent's safe address. Ends with "N passed, N failed".
exec bash "$(dirname "$0")/../http/run.sh" test_family.py 180
