"""Start the colnato-qa chatbot: the chat page, the HTTP API and the embedding helpers, in one
uvicorn server (default http://127.0.0.1:7860/).

    python app.py [--host HOST] [--port PORT]     # env: COLNATO_QA_HOST, COLNATO_QA_PORT
"""

from __future__ import annotations

import os
import sys

# Before anything imports gradio or huggingface_hub: no analytics, no hub requests.
os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
os.environ["HF_HUB_OFFLINE"] = "1"

from colnato_qa.web.server import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
