#!/usr/bin/env bash
# tests/cli/abuse.sh: the console under abuse (tests/http/test_abuse.py) against the real
# server on a loopback port: idle and slowloris connections, a flood of random sign-ins, a
# foreign Host header, with the figures printed. Ends with "N passed, N failed".
exec bash "$(dirname "$0")/../http/run.sh" test_abuse.py 240
