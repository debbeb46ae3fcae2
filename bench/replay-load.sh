#!/usr/bin/env bash
# Replay as load (issue 21): the fixture capture at 1x, 10x the recorded pace and at a fixed rate against the
# demo legacy, printing the achieved rates, the schedule's lag and the latencies (service time and corrected
# for coordinated omission). The work is in bench/replay.sh's `load` mode.
#
#   bench/replay-load.sh [RATE] [DURATION]     (defaults: 500 requests/s, 30s per run)
exec "$(dirname "$0")/replay.sh" load "$@"
