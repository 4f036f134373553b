"""The `faqbot` command: thin argument parsing over the functions the API calls.

May import: the kernel up to serving (not http, its sibling).
"""

from faqbot.cli.commands import main

__all__ = ["main"]
