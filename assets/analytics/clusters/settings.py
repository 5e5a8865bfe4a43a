"""The ``[clusters]`` settings: the k range, seed, silhouette sample and trait thresholds."""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from assets.common.settings import shipped


@dataclass(frozen=True)
class ClusterSettings:
    """The ``[clusters]`` section of settings.toml."""

    k_min: int = int(shipped("clusters", "k_min"))
    k_max: int = int(shipped("clusters", "k_max"))
    seed: int = int(shipped("clusters", "seed"))
    silhouette_sample: int = int(shipped("clusters", "silhouette_sample"))
    activity_window_days: int = int(shipped("clusters", "activity_window_days"))
    trait_min_z: float = float(shipped("clusters", "trait_min_z"))
    n_init: int = int(shipped("clusters", "n_init"))
    max_traits: int = int(shipped("clusters", "max_traits"))

    @classmethod
    def from_thresholds(cls, section: Mapping[str, Any]) -> "ClusterSettings":
        settings = cls(**{f: type(getattr(cls, f))(section[f]) for f in cls.__dataclass_fields__ if f in section})
        if settings.k_min < 2 or settings.k_max < settings.k_min:
            raise ValueError(
                f"[clusters] needs 2 <= k_min <= k_max, got k_min={settings.k_min}, k_max={settings.k_max}"
            )
        if settings.silhouette_sample < 2 or settings.n_init < 1 or settings.activity_window_days < 1:
            raise ValueError("[clusters] silhouette_sample must be >= 2, n_init and activity_window_days >= 1")
        return settings
