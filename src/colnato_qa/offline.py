"""The process environment that keeps colnato-qa off the network, set by the entry points.

``colnato-qa`` (every command) and ``app.py`` call ``pin_offline_environment()`` before anything
imports gradio, huggingface_hub or transformers; the test suite does the same in conftest.py.
Importing the library changes nothing in ``os.environ``: a program that uses ``QAEngine``
directly still downloads nothing (the model is loaded from a local directory with
``local_files_only``), and may call this function itself to silence the Hugging Face libraries.
"""

from __future__ import annotations

import os

# Forced: no hub requests, no telemetry, no Gradio analytics.
OFFLINE_ENVIRONMENT = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "GRADIO_ANALYTICS_ENABLED": "False",
}
# Defaults a user may override: quiet output, no tokenizer threads forked with the process.
QUIET_ENVIRONMENT = {
    "TOKENIZERS_PARALLELISM": "false",
    "HF_HUB_DISABLE_PROGRESS_BARS": "1",
    "TRANSFORMERS_VERBOSITY": "error",
}


def pin_offline_environment() -> None:
    """Set the variables above in ``os.environ`` (call it before gradio or huggingface_hub is imported)."""
    os.environ.update(OFFLINE_ENVIRONMENT)
    for name, value in QUIET_ENVIRONMENT.items():
        os.environ.setdefault(name, value)
