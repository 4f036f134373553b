"""`python -m faqbot.cli`: the same command as the `faqbot` console script."""

import sys

from faqbot.cli.commands import main

sys.exit(main())
