#!/usr/bin/env bash
# Rebuilds ../plotly.min.js: plotly.js core plus bar, box, sankey, treemap and waterfall, the only
# trace types dashboards/ draws (no map or geo traces, which fetch tiles, fonts and topojson from
# the network). Two defaults that name remote services are pointed away so that even a config
# the figures do not use cannot reach out: topojsonURL (geo traces) and plotlyServerURL (the
# "send to Chart Studio" button). Run by a developer, never at run time; then update the
# SHA-256 in ../VERSION (tests/dashboards/test_product_view.py checks it).
set -euo pipefail
cd "$(dirname "$0")"
npm install --no-audit --no-fund --no-save --silent
node_modules/.bin/esbuild entry.js --bundle --minify --format=iife --target=es2018 \
  --legal-comments=none --define:global=window --outfile=out/plotly.min.js
# The two defaults, matched as patterns (this script names no remote address itself); the build
# fails if either no longer matches, instead of shipping a bundle that still names them.
topojson='"https:[/][/]cdn[.]plot[.]ly[/]un[/]"'
chart_studio='"https:[/][/]cloud[.]plotly[.]com[/]newchart"'
for pattern in "$topojson" "$chart_studio"; do
  grep -q -- "$pattern" out/plotly.min.js || { echo "build.sh: $pattern not found" >&2; exit 1; }
done
sed -e "s#$topojson#\"/dashboard/static/vendor/plotly/no-topojson/\"#" \
    -e "s#$chart_studio#\"\"#" out/plotly.min.js > ../plotly.min.js
rm -rf out
sha256sum ../plotly.min.js
