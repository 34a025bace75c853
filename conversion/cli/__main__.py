"""`python -m _lens2logit.cli`: the `lens2logit` command."""

import sys

from .main import main

sys.exit(main())
