"""Where the probe reads the repository and writes its files (``CE_PROBE_OUT``, default a folder in /tmp)."""
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
OUT = Path(os.environ.get("CE_PROBE_OUT", "/tmp/colnato-ce-probe"))
OUT.mkdir(parents=True, exist_ok=True)
