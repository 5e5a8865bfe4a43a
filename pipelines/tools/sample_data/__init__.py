"""Sample-export generator: realistic, deliberately dirty exports of a Chinese company's ERP (sales
order lines), CRM (accounts, follow-ups, opportunities), helpdesk (tickets, NPS) and e-mail
service provider, with a ground truth to test the pipeline against.

Use ``python -m pipelines.tools.sample_data --customers 2000 --seed 7 --out data/inbox`` or
:func:`generate`. Modules, by concern:

* ``config``: dirt rates (:class:`DirtRates`), volumes and value sets
* ``catalog``: names, cities, companies, sales reps, the product catalog
* ``timeline``: the calendar, seasonality and event-time sampling
* ``customers``: the simulated customer base (value, first purchase, drift, churn)
* ``sales``, ``crm``, ``service``, ``marketing``: one module per source system
* ``dirt``: dirty formats and the dirt log
* ``writers``: file layouts (headers) and CSV/Excel writers
* ``truth``: the ground truth (Parquet + manifest)
* ``generator``: :func:`generate`, which ties it all together; ``cli``: the command line
"""

from pipelines.tools.sample_data.config import DirtRates, Volumes
from pipelines.tools.sample_data.generator import GenerationSummary, generate

__all__ = ["DirtRates", "GenerationSummary", "Volumes", "generate"]
