"""The statistics' knobs (``[analysis]`` in ladder.toml), in a module of their own so that reading
the config does not load the numerical code."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class AnalysisSettings:
    """The statistics' knobs (``[analysis]`` in ladder.toml)."""

    half_life_days: float = 90.0
    prior_strength: float = 10.0
    min_effective_reviews: float = 5.0
    velocity_weeks: int = 12
    gap_threshold: float = 0.25
    gap_probability: float = 0.9
    race_probability: float = 0.8
    flood_k: float = 5.0
    reply_window_weeks: int = 12
    draws: int = 500
    seed: int = 7
    #: The ladder's model file (``ladder train`` writes one); empty: the one shipped.
    model: str = ""
