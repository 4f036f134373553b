"""Calibration picks both thresholds from labelled scores and reports each band's figures."""

from __future__ import annotations

from faqbot.publishing.calibration import Observation, band_figures, choose_thresholds


def _obs(i: int, expect: str, score: float, top: bool, any_: bool) -> Observation:
    return Observation(f"q{i}", expect, score, top, any_)


OBSERVED = [
    _obs(0, "answer", 0.80, True, True),
    _obs(1, "answer", 0.70, True, True),
    _obs(2, "answer", 0.60, True, True),
    _obs(3, "answer", 0.40, False, True),  # right passage among the candidates, not on top
    _obs(4, "fallback", 0.30, False, False),
    _obs(5, "fallback", 0.20, False, False),
    _obs(6, "fallback", 0.10, False, False),
]


def test_answer_cut_separates_answerable_from_out_of_scope_in_the_widest_gap() -> None:
    thresholds = choose_thresholds(OBSERVED)
    assert 0.40 < thresholds.answer < 0.60


def test_related_cut_offers_links_to_near_misses_but_not_to_noise() -> None:
    thresholds = choose_thresholds(OBSERVED)
    assert 0.30 < thresholds.related <= 0.40 < thresholds.answer


def test_band_figures_report_precision_and_recall_of_both_bands() -> None:
    figures = band_figures(OBSERVED, choose_thresholds(OBSERVED))
    assert figures["answered"].shown == 3 and figures["answered"].precision == 1.0
    assert figures["answered"].recall == 3 / 4
    assert figures["related"].shown == 1  # q3: its answer is among the links; q4 gets none
    assert figures["related"].precision == 1.0 and figures["related"].recall == 1.0
