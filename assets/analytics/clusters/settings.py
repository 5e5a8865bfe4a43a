"""The ``[clusters]`` settings: the k range, seed, silhouette sample and trait thresholds."""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from assets.common.settings import section_values, shipped_defaults


@dataclass(frozen=True)
@shipped_defaults("clusters")
class ClusterSettings:
    """The ``[clusters]`` section of settings.toml."""

    k_min: int
    k_max: int
    seed: int
    silhouette_sample: int
    activity_window_days: int
    trait_min_z: float
    n_init: int
    max_traits: int

    @classmethod
    def from_thresholds(cls, section: Mapping[str, Any]) -> "ClusterSettings":
        settings = cls(**section_values(cls, section))
        if settings.k_min < 2 or settings.k_max < settings.k_min:
            raise ValueError(
                f"[clusters] needs 2 <= k_min <= k_max, got k_min={settings.k_min}, k_max={settings.k_max}"
            )
        if settings.silhouette_sample < 2 or settings.n_init < 1 or settings.activity_window_days < 1:
            raise ValueError("[clusters] silhouette_sample must be >= 2, n_init and activity_window_days >= 1")
        return settings
