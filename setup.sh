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
# --no-compile: pip byte-compiles the 14,000 .py files it installs one after another (46 s of CPU).
# Python writes the bytecode of each module the first time it is imported instead (only what is
# used), unless PYTHONDONTWRITEBYTECODE is set: then compileall below compiles everything once.
PIP=(.venv/bin/python -m pip install -q --no-compile)
# torch: the CPU wheel first, pinned (a bare `torch` requirement pulls a multi-GB CUDA build).
if ! .venv/bin/python -c "import torch" 2>/dev/null; then
  "${PIP[@]}" torch==2.13.0
fi
"${PIP[@]}" -e ".[onnx,torch,dask,fast,dev]"
# With PYTHONDONTWRITEBYTECODE set, every process would compile again all it imports: compile the
# installed packages once here, on every core (~30 s; up-to-date files are skipped, a re-run takes
# about a second). Exit status ignored, as pip does: a few packages ship files for newer Pythons
# (e.g. torch/testing/_internal/py312_intrinsics.py).
if [ -n "${PYTHONDONTWRITEBYTECODE:-}" ]; then
  .venv/bin/python -m compileall -q -j 0 .venv/lib/python3*/site-packages >/dev/null 2>&1 || true
fi
# Compile the cost model's level kernel (numba, the `fast` extra) once, here: numba caches it beside
# the module, so the test workers and every later process only load it (about 8 s of CPU, once).
.venv/bin/python -c "from mcmsched.cost.vectorised import warm_kernel; warm_kernel()"
# Headless Chromium for the HTML-report browser test (Debian package), when apt is available.
if ! command -v chromium >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
    || echo "setup.sh: could not install chromium; the browser test will fail" >&2
fi
echo "setup.sh: ready. CLI: .venv/bin/mcmsched   tests: .venv/bin/pytest -n 2"
