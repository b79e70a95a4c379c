"""The README's first-five-minutes commands, run verbatim against a real `registrum serve`."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.processes import serving

README = Path(__file__).resolve().parents[2] / "README.md"
pytestmark = pytest.mark.slow


def readme_block(marker: str) -> str:
    text = README.read_text()
    match = re.search(rf"<!-- readme-test: {marker} -->\s*```bash\n(.*?)```", text, re.S)
    assert match, f"README has no block marked {marker}"
    return match.group(1)


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_first_five_minutes_work_as_written(tmp_path):
    script = readme_block("first-five-minutes")
    assert "127.0.0.1:8080" in script
    with serving(tmp_path) as (base, _):
        address = base.removeprefix("http://")
        result = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", script.replace("127.0.0.1:8080", address)],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert result.returncode == 0, result.stderr
    # Each curl prints one JSON document; they are concatenated on stdout.
    decoder, out, docs = json.JSONDecoder(), result.stdout.strip(), []
    while out:
        doc, end = decoder.raw_decode(out)
        docs.append(doc)
        out = out[end:].lstrip()
    published, listed, latest, versions = docs
    name = "io.modelcontextprotocol.anonymous/weather"
    assert published["server"]["name"] == name
    assert [s["server"]["name"] for s in listed["servers"]] == [name]
    assert latest["server"] == published["server"]
    assert latest["_meta"]["io.modelcontextprotocol.registry/official"]["isLatest"] is True
    assert versions["metadata"]["count"] == 1
