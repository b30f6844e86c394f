"""The real Dagster webserver loads the definitions and serves the asset graph, on 127.0.0.1 only."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
QUERY = '{"query": "{ assetNodes { assetKey { path } groupName } }"}'


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture()
def webserver(tmp_path):
    port = _free_port()
    env = {**os.environ, "DAGSTER_HOME": str(tmp_path), "ARCHASE_CONFIG": str(REPO / "archase.yml")}
    exe = Path(sys.executable).parent / "dagster-webserver"
    process = subprocess.Popen(
        [str(exe), "-w", str(REPO / "workspace.yaml"), "-h", "127.0.0.1", "-p", str(port)],
        cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):  # at most a minute
            try:
                urllib.request.urlopen(f"{base}/server_info", timeout=2)
                break
            except OSError:
                if process.poll() is not None:
                    pytest.fail(f"webserver exited: {process.stderr.read()[-2000:]}")
                time.sleep(0.5)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_webserver_serves_every_asset_group(webserver):
    request = urllib.request.Request(f"{webserver}/graphql", data=QUERY.encode(),
                                     headers={"Content-Type": "application/json"})
    nodes = json.loads(urllib.request.urlopen(request, timeout=60).read())["data"]["assetNodes"]
    keys = {"/".join(n["assetKey"]["path"]) for n in nodes}
    groups = {n["groupName"] for n in nodes}
    assert {"raw/ar_invoices", "marts/kpi_daily", "quality/gate", "publish/kpi_tab", "forecast/cash_forecast"} <= keys
    assert {"ingest", "staging", "intermediate", "marts", "quality", "forecast", "publish"} <= groups
    page = urllib.request.urlopen(f"{webserver}/assets", timeout=30).read().decode()
    assert "<html" in page.lower()


CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--virtual-time-budget=15000", "--window-size=1400,900"]


def test_the_ui_shows_the_assets_in_a_browser(webserver, tmp_path):
    chromium = shutil.which("chromium")
    assert chromium, "chromium is missing: `make test` installs it (Debian package chromium)"
    dom = subprocess.run([chromium, *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom",
                          f"{webserver}/assets"], capture_output=True, text=True, timeout=120).stdout
    for name in ("cash_forecast", "dim_customers", "fct_invoices"):
        assert name in dom, f"{name} not on the Assets page"
    shot = tmp_path / "assets.png"
    subprocess.run([chromium, *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile2'}", f"--screenshot={shot}",
                    f"{webserver}/assets"], capture_output=True, timeout=120)
    assert shot.read_bytes()[:4] == b"\x89PNG"
