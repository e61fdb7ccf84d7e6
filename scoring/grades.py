"""Grade bands: the band whose lower bound (inclusive) a total reaches."""

from __future__ import annotations

from decimal import Decimal

from scoring.models import Grading
from scoring.numbers import HUNDRED


def grade_for(total: Decimal, full_score: Decimal, grading: Grading) -> str:
    """Grade ``total``; with ``basis: percent`` it is first scaled to 100 (003's full score is 80)."""
    value = total / full_score * HUNDRED if grading.basis == "percent" else total
    for band in grading.bands:  # sorted high to low by the model
        if value >= band.min:
            return band.name
    return grading.bands[-1].name
