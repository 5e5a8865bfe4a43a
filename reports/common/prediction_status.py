"""What the reports say when a prediction was not built as asked.

The churn and CLV assets record their outcome in ``quality.asset_status`` (``assets/common/status.py``):
ok, degraded (a fallback was shipped, the sentence says which and why) or failed (the tables are
empty, the sentence names the cause). A report section built on a prediction shows that sentence in
a notice box (``templates/_notice.html.j2``): above the figures when they come from a fallback,
instead of them when the prediction failed. No recorded status (an installation whose prediction
assets predate the status table) reads as built as asked.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from assets.common.status import FAILED, AssetStatus, read_status
from reports.common.shareable import shareable_text

CHURN_SCORES = "analytics/churn_scores"
CHURN_MODELS = "analytics/churn_model_metrics"
CLV = "analytics/clv"
PREDICTIONS = (CHURN_SCORES, CHURN_MODELS, CLV)
# What the sentence is about, leading the notice box.
SUBJECTS = {
    CHURN_SCORES: {"zh": "流失评分：", "en": "Churn scores:"},
    CHURN_MODELS: {"zh": "流失模型：", "en": "Churn model:"},
    CLV: {"zh": "客户终身价值（CLV）：", "en": "Customer lifetime value (CLV):"},
}


@dataclass(frozen=True)
class Notice:
    """The recorded sentence about one prediction in one language, for a report's notice box."""

    asset: str
    status: str  # degraded | failed
    subject: str
    text: str

    @property
    def failed(self) -> bool:
        return self.status == FAILED


def prediction_statuses(conn: duckdb.DuckDBPyConnection,
                        assets: tuple[str, ...] = PREDICTIONS) -> dict[str, AssetStatus | None]:
    """The recorded outcome of each prediction asset (None when it recorded none)."""
    return {asset: read_status(conn, asset) for asset in assets}


def notices(statuses: dict[str, AssetStatus | None], language: str) -> dict[str, Notice | None]:
    """Asset → the notice to show in ``language``; None when the asset was built as asked."""
    return {asset: None if status is None or status.is_ok
            else Notice(asset, status.status, SUBJECTS.get(asset, {}).get(language, asset),
                        shareable_text(status.message(language)))
            for asset, status in statuses.items()}


def is_failed(notice: Notice | None) -> bool:
    """Whether the prediction behind ``notice`` failed (its tables are empty)."""
    return notice is not None and notice.failed
