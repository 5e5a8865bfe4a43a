"""Plotly figures embedded in reports that open offline.

Plotly's JavaScript is inlined once per page (``plotly_script``), never fetched from a CDN; each
chart is a ``<div>`` with a fixed id so the same data gives byte-identical pages. Charts show
aggregates computed in SQL, never one point per customer.
"""

from __future__ import annotations

import html
from functools import cache

import plotly.graph_objects as go
from plotly.offline import get_plotlyjs

FONT_FAMILY = ('-apple-system, "Segoe UI", "PingFang SC", "Hiragino Sans GB", "Microsoft YaHei", '
               '"Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Micro Hei", sans-serif')
PALETTE = ("#2f6fde", "#f08c2e", "#3aa876", "#d64545", "#8e6bd8", "#7a8699", "#e0b43a", "#2bb3c0")


@cache
def plotly_script() -> str:
    """The bundled plotly.js source, to inline once in a page's ``<script>`` element."""
    return get_plotlyjs()


def label(text: object) -> str:
    """A data-derived text made safe for Plotly labels (Plotly reads a few HTML tags in labels)."""
    return html.escape("" if text is None else str(text), quote=False)


def chart_html(figure: go.Figure, chart_id: str, height: int = 360) -> str:
    """The ``<div>`` and ``<script>`` drawing one figure; needs ``plotly_script`` on the page."""
    figure.update_layout(
        font={"family": FONT_FAMILY, "size": 13}, colorway=list(PALETTE), height=height,
        margin={"l": 60, "r": 20, "t": 40, "b": 50}, paper_bgcolor="white", plot_bgcolor="white",
        template="plotly_white",
    )
    return figure.to_html(full_html=False, include_plotlyjs=False, div_id=chart_id,
                          config={"displaylogo": False, "responsive": True,
                                  "modeBarButtonsToRemove": ["sendDataToCloud"]})
