"""The simulation core never imports the batch layer: a run needs neither Ray nor Matplotlib nor the sweeps."""

from __future__ import annotations

import subprocess
import sys

#: the batch and reporting layer, and the libraries only it needs
BATCH = ("sim.sweep", "sim.executor", "sim.experiment", "sim.compare", "sim.sensitivity", "sim.ranking", "sim.discovery", "sim.report",
         "sim.plots", "sim.list_size", "sim.validation", "ray", "matplotlib", "SALib", "ema_workbench")


def test_a_run_and_its_store_import_no_batch_module():
    code = "import sys, sim.runner, sim.store; print(' '.join(sorted(sys.modules)))"
    loaded = set(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split())
    assert not {m for m in loaded if m in BATCH or m.split(".")[0] in BATCH or any(m.startswith(b + ".") for b in BATCH)}
