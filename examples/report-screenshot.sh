#!/usr/bin/env bash
# The screenshot in docs/report.md: the example history (examples/history, an Insight Timer
# export of some 200 sittings) recorded in a fresh home, its report page, and Chromium's
# picture of it at a desktop width.
#
#   bash examples/report-screenshot.sh            # writes docs/report.png
set -euo pipefail
cd "$(dirname "$0")/.."
smallwins=${SMALLWINS:-.venv/bin/smallwins}
home=$(mktemp -d)
trap 'rm -rf "$home"' EXIT
cat > "$home/config.toml" <<TOML
timezone = "Europe/Berlin"
[sources.sits]
detector = "meditation"
path = "$PWD/examples/history/InsightTimerLogs.csv"
[sources.journal]
detector = "journal"
enabled = false
[goals.sitting]
sources = ["sits"]
metric = "minutes"
target = 10
ramp = "5%"
max_target = 20
TOML
chmod 600 "$home/config.toml"
SMALLWINS_HOME=$home "$smallwins" run --once > /dev/null
SMALLWINS_HOME=$home "$smallwins" report --from 2026-04-01 --to 2026-11-30 --out "$home/report.html"
chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=1280,1940 \
    --screenshot="$PWD/docs/report.png" "file://$home/report.html" 2> /dev/null
echo "docs/report.png"
