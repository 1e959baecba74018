"""`convo site serve` stopped with SIGTERM (a service manager, `kill`) cleans up like Ctrl+C:
its temporary folder, the built site, is gone."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import time


def test_sigterm_stops_serve_and_removes_its_temporary_folder(notebook, tmp_path):
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    env = {**os.environ, "TMPDIR": str(tmp), "CONVO_CACHE_DIR": str(tmp_path / "cache"), "NO_COLOR": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "convo_notes", "-C", str(notebook), "site", "serve",
                             "-a", "127.0.0.1:0"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        said = b""
        deadline = time.monotonic() + 180
        assert proc.stderr is not None
        while b"Serving on" not in said and time.monotonic() < deadline and proc.poll() is None:
            ready, _, _ = select.select([proc.stderr], [], [], 1)
            if ready:
                said += os.read(proc.stderr.fileno(), 4096)
        assert b"Serving on" in said, said
        assert [p.name for p in tmp.iterdir() if p.name.startswith("convo-serve-")]  # the site is there
        proc.send_signal(signal.SIGTERM)
        _out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err
    assert b"Stopped." in err
    assert not [p.name for p in tmp.iterdir() if p.name.startswith("convo-serve-")]
