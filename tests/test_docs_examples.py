"""The Python examples of the docs run as pasted: each ```python block of docs/SWEEPS.md and the
"Python API" block of README.md is written to a script and run with ``python script.py`` in a
subprocess (so it is the ``__main__`` module, as when a user pastes it into a file), in a
temporary folder that sees the repository's ``examples/``, with a timeout. A sweep example
without its ``if __name__ == "__main__":`` guard runs its body once per worker process and
hangs: this test then fails by timeout. Blocks that need a cluster manager mcmsched does not
depend on (dask-jobqueue, dask-kubernetes) are only compiled."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from mcmsched.explore.store import ResultStore

REPO = Path(__file__).resolve().parents[1]
SRC = Path(__import__("mcmsched").__file__).resolve().parents[1]  # the mcmsched under test
TIMEOUT_S = 180

#: third-party cluster managers the docs show but mcmsched does not depend on
EXTERNAL = ("dask_jobqueue", "dask_kubernetes")

_FENCE = re.compile(r"^```python\n(.*?)^```", re.S | re.M)


def python_blocks(markdown: str) -> list[str]:
    """The bodies of the ```python fenced blocks of ``markdown``, in order."""
    return [m.group(1) for m in _FENCE.finditer(markdown)]


def section(markdown: str, heading: str) -> str:
    """The text of the ``## heading`` section (up to the next ``## ``)."""
    start = markdown.index(f"\n## {heading}\n")
    end = markdown.find("\n## ", start + 1)
    return markdown[start : end if end >= 0 else len(markdown)]


def run_script(code: str, folder: Path, name: str) -> subprocess.CompletedProcess[str]:
    """Run ``code`` as ``folder/name`` (its ``__main__``) in a new session; kill the whole
    session on timeout so that no worker process is left behind."""
    script = folder / name
    script.write_text(code)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(SRC), env.get("PYTHONPATH", "")])
    env["MPLBACKEND"] = "Agg"
    # as a user runs it: the baselines in forked workers from a script's __main__ (conftest.py
    # sets serial baselines for the rest of the suite)
    env.pop("MCMSCHED_BASELINE_WORKERS", None)
    p = subprocess.Popen(
        [sys.executable, script.name],
        cwd=folder,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        out, err = p.communicate(timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        out, err = p.communicate()
        pytest.fail(f"{name} did not finish in {TIMEOUT_S} s (hangs as pasted?)\n{out}\n{err}")
    assert p.returncode == 0, f"{name} failed ({p.returncode}):\n{out}\n{err}"
    return subprocess.CompletedProcess(p.args, p.returncode, out, err)


@pytest.fixture()
def workdir(tmp_path: Path) -> Path:
    """A temporary folder where ``examples/...`` resolves to the repository's examples."""
    (tmp_path / "examples").symlink_to(REPO / "examples", target_is_directory=True)
    return tmp_path


def test_block_extraction() -> None:
    md = "a\n```python\nx = 1\n```\n```\nnot python\n```\n```python\ny = 2\n```\n"
    assert python_blocks(md) == ["x = 1\n", "y = 2\n"]


def test_sweeps_md_python_examples_run_as_pasted(workdir: Path) -> None:
    all_blocks = python_blocks((REPO / "docs" / "SWEEPS.md").read_text())
    external = [b for b in all_blocks if any(f"from {m}" in b for m in EXTERNAL)]
    for i, b in enumerate(external):
        compile(b, f"SWEEPS.md external block {i}", "exec")
    blocks = [b for b in all_blocks if b not in external]
    assert (len(blocks), len(external)) == (2, 1)  # run_sweep, to_dataframe; dask-jobqueue
    assert all(b.count('if __name__ == "__main__":') == 1 for b in all_blocks if "Executor(" in b)
    results = [run_script(b, workdir, f"sweeps_{i}.py") for i, b in enumerate(blocks)]
    # the sweep ran once (not once per worker process) and stored its 24 jobs
    assert results[0].stdout.strip() == "24 jobs, 24 ok, 0 errors"
    with ResultStore(workdir / "ci.db") as st:
        assert (st.count(), st.count("ok")) == (24, 24)
    # to_dataframe printed the head of the 24-row frame
    table = results[1].stdout
    assert "latency_s" in table and "tiny-cnn-lm" in table
    assert len(table.strip().splitlines()) == 1 + 5


def test_readme_python_api_example_runs_as_pasted(workdir: Path) -> None:
    (block,) = python_blocks(section((REPO / "README.md").read_text(), "Python API"))
    run_script(block, workdir, "readme_api.py")
    html = (workdir / "report.html").read_text()
    assert html.lstrip().lower().startswith("<!doctype html") and "paper1" in html


# ---- docs/REFERENCES.md: the project's own account of the papers --------------------------------

#: where the project's text lives (bench/ may read external data when it exists beside the repo)
TEXT_ROOTS = ("src", "docs", "examples", "README.md")
_ANCHOR = re.compile(r"REFERENCES\.md#([A-Za-z0-9_-]+)")


def _text_files() -> list[Path]:
    out: list[Path] = []
    for root in TEXT_ROOTS:
        p = REPO / root
        files = [p] if p.is_file() else sorted(p.rglob("*"))
        out += [f for f in files if f.suffix in {".py", ".md", ".yaml", ".yml", ".m", ".txt"}]
    return out


def github_slug(heading: str) -> str:
    """The anchor GitHub gives a Markdown heading: lower case, punctuation dropped, spaces to
    hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def test_github_slug() -> None:
    assert github_slug("SCAR, part by part") == "scar-part-by-part"
    assert github_slug("SCAR Algorithm 1") == "scar-algorithm-1"


def test_no_pointer_outside_the_repository() -> None:
    """The project stands on its own: no pointer to notes or data outside the repository."""
    files = _text_files()
    assert len(files) > 100
    bad = [
        f"{f.relative_to(REPO)}:{i}"
        for f in files
        for i, line in enumerate(f.read_text(errors="replace").splitlines(), 1)
        if "PAPERS.md" in line or "../shared" in line
    ]
    assert bad == []


def test_every_references_anchor_exists() -> None:
    refs = (REPO / "docs" / "REFERENCES.md").read_text()
    slugs = {github_slug(h) for h in re.findall(r"^#{2,4} (.+)$", refs, re.M)}
    cited: dict[str, list[str]] = {}
    for f in _text_files():
        for anchor in _ANCHOR.findall(f.read_text(errors="replace")):
            cited.setdefault(anchor, []).append(str(f.relative_to(REPO)))
    # the code and docs cite the papers' parts through this page
    assert len(cited) >= 12 and sum(map(len, cited.values())) >= 30
    missing = {a: fs for a, fs in cited.items() if a not in slugs}
    assert missing == {}
    for name in ("paper-1", "scar", "scar-algorithm-1", "open-choices", "maestro", "xrbench",
                 "simba", "nn-baton"):  # fmt: skip
        assert name in slugs
