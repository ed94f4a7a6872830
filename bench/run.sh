#!/usr/bin/env bash
# Measures `alertlint check --offline` on three inputs and prints the median wall time of
# five runs and the peak resident memory of one:
#   - the bundled fixture of the README,
#   - the real-world corpus (every repository in ../shared/corpus, one run each),
#   - a generated repository of 300 scheduled workflows with 12 jobs each (3,600 jobs),
#     every job chained to the one before and a notify job that needs them all.
# Usage: bench/run.sh   (builds the release binary first)
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
bin=target/release/alertlint
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

generate() {
  local root=$1 workflows=$2 jobs=$3
  mkdir -p "$root/.github/workflows"
  for w in $(seq 1 "$workflows"); do
    {
      printf 'name: Nightly %s\non:\n  schedule:\n    - cron: "%s 2 * * *"\njobs:\n' "$w" "$((w % 60))"
      for j in $(seq 1 "$jobs"); do
        printf '  job%s:\n' "$j"
        [ "$j" -gt 1 ] && printf '    needs: job%s\n' "$((j - 1))"
        printf '    runs-on: ubuntu-latest\n    timeout-minutes: 30\n    steps:\n'
        printf '      - uses: actions/checkout@v4\n      - run: ./scripts/step-%s.sh\n' "$j"
      done
      printf '  notify:\n    needs: [%s]\n    if: failure() || cancelled()\n' "$(seq -s ', ' -f 'job%g' 1 "$jobs")"
      printf '    runs-on: ubuntu-latest\n    steps:\n      - uses: slackapi/slack-github-action@v2\n'
      printf '        with:\n          webhook: ${{ secrets.SLACK_WEBHOOK_URL }}\n'
      printf '          webhook-type: incoming-webhook\n          errors: true\n'
      printf '          payload: |\n            text: "failed"\n'
    } > "$root/.github/workflows/nightly-$w.yml"
  done
}

# median of five wall-clock runs, in milliseconds
median_ms() {
  local times=()
  for _ in 1 2 3 4 5; do
    local start end
    start=$(date +%s%N)
    "$@" >/dev/null 2>&1 || true
    end=$(date +%s%N)
    times+=($(((end - start) / 1000000)))
  done
  printf '%s\n' "${times[@]}" | sort -n | sed -n 3p
}

peak_kib() {
  /usr/bin/time -f '%M' "$@" 2>&1 >/dev/null | tail -n 1
}

corpus() {
  for repo in ../shared/corpus/repos/*/; do
    "$bin" check "$repo" --offline --format json >/dev/null 2>&1 || true
  done
}

generate "$work/org" 300 12

printf '%-48s %10s %12s\n' input median_ms peak_rss_kib
printf '%-48s %10s %12s\n' "fixture nightly-sync-monthly-billing" \
  "$(median_ms "$bin" check fixtures/nightly-sync-monthly-billing --offline)" \
  "$(peak_kib "$bin" check fixtures/nightly-sync-monthly-billing --offline)"
if [ -d ../shared/corpus/repos ]; then
  printf '%-48s %10s %12s\n' "corpus, 29 repositories (one process each)" "$(median_ms corpus)" "-"
fi
printf '%-48s %10s %12s\n' "generated: 300 workflows, 3,900 jobs" \
  "$(median_ms "$bin" check "$work/org" --offline --format json)" \
  "$(peak_kib "$bin" check "$work/org" --offline --format json)"
