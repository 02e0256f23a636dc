"""Start the colnato-qa chatbot: the chat page, the HTTP API and the embedding helpers, in one
uvicorn server (default http://127.0.0.1:7860/). The same as ``colnato-qa serve``:

    python app.py [--host HOST] [--port PORT] [--log-level LEVEL]   # env: COLNATO_QA_HOST, COLNATO_QA_PORT
"""

from __future__ import annotations

import sys

from colnato_qa.cli import main

if __name__ == "__main__":
    # The CLI sets the offline environment (colnato_qa/offline.py) before gradio is imported.
    sys.exit(main(["serve", *sys.argv[1:]], prog_name="app.py"))
