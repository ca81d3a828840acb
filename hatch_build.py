"""Build hook: ship the shipped banks pre-parsed and their demo values precomputed.

Writes ``mlquiz/prebuilt.json.gz`` (see mlquiz/demokit/prebuilt.py) before the wheel is packed,
so the first ``mlquiz practice`` after installing does not parse every bank and import numpy.
It runs mlquiz from this source tree in a subprocess (the hook's dependencies are mlquiz's own).
If it fails, the wheel is built without the file and mlquiz works as before, only slower once.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

TARGET = "mlquiz/prebuilt.json.gz"


class PrebuiltHook(BuildHookInterface):
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict) -> None:
        root = Path(self.root)
        out = root / TARGET
        # pip's isolated build environment is itself on PYTHONPATH: add this tree in front, keep the rest
        paths = [str(root)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}
        try:
            done = subprocess.run([sys.executable, "-m", "mlquiz.content.prebuild", "--if-stale", str(out)], cwd=root, env=env,
                                  capture_output=True, text=True, timeout=600)
        except (OSError, subprocess.SubprocessError) as exc:
            self.app.display_warning(f"mlquiz: {TARGET} not built ({exc}); the first run will parse the banks")
            return
        if done.returncode != 0:
            last = (done.stderr.strip().splitlines() or ["no output"])[-1]
            self.app.display_warning(f"mlquiz: {TARGET} not built ({last}); the first run will parse the banks")
            return
        self.app.display_info(done.stdout.strip())
        for line in done.stderr.strip().splitlines()[-5:]:
            self.app.display_warning(line)
        build_data["artifacts"].append(TARGET)
