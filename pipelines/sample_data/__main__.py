"""Entry point for ``python -m pipelines.sample_data``."""

import sys

from pipelines.sample_data.cli import main

sys.exit(main())
