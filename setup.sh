#!/usr/bin/env bash
# Sets up everything for a fresh clone: .venv with mcmsched and every extra the tests use.
# Usage: ./setup.sh            (idempotent; re-run after pulling)
set -euo pipefail
cd "$(dirname "$0")"
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip
# torch: the CPU wheel first, pinned (a bare `torch` requirement pulls a multi-GB CUDA build).
if ! .venv/bin/python -c "import torch" 2>/dev/null; then
  .venv/bin/python -m pip install -q torch==2.13.0
fi
.venv/bin/python -m pip install -q -e ".[onnx,torch,dask,dev]"
# Headless Chromium for the HTML-report browser test (Debian package), when apt is available.
if ! command -v chromium >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
    || echo "setup.sh: could not install chromium; the browser test will fail" >&2
fi
echo "setup.sh: ready. CLI: .venv/bin/mcmsched   tests: .venv/bin/pytest -n 2"
