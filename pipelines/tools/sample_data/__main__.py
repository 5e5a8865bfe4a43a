"""Entry point for ``python -m pipelines.tools.sample_data``."""

import sys

from pipelines.tools.sample_data.cli import main

sys.exit(main())
