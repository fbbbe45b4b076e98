"""The payment rule moves quantity as the literature says (evidence.md E1-E3, E11)."""

from __future__ import annotations

from sim import run

from conftest import small


def visits_per_episode(result) -> float:
    total = result.by_group[result.by_group["group_by"] == "total"].iloc[0]
    return total["visits"] / total["episodes"]


def test_fee_for_service_gives_more_care_and_capitation_more_undertreatment(runs):
    assert visits_per_episode(runs["fee-for-service"]) > visits_per_episode(runs["jamtland-2020"])
    cap = runs["jamtland-2020"].summary
    ffs = runs["fee-for-service"].summary
    assert ffs["visits_per_capita"] > cap["visits_per_capita"]
    assert cap["undertreatment_rate"] > ffs["undertreatment_rate"]
    assert ffs["overtreatment_rate"] > cap["overtreatment_rate"]
    assert ffs["overtreated_episode_share"] > cap["overtreated_episode_share"]


def test_a_blend_lies_between(runs):
    cap = runs["jamtland-2020"].summary
    ffs = runs["fee-for-service"].summary
    blend = runs["blend-capitation-ffs"].summary
    assert visits_per_episode(runs["jamtland-2020"]) < visits_per_episode(runs["blend-capitation-ffs"]) < visits_per_episode(runs["fee-for-service"])
    assert cap["visits_per_capita"] < blend["visits_per_capita"] < ffs["visits_per_capita"]
    assert ffs["undertreatment_rate"] < blend["undertreatment_rate"] < cap["undertreatment_rate"]
    assert cap["overtreatment_rate"] <= blend["overtreatment_rate"] <= ffs["overtreatment_rate"]


def test_more_altruistic_physicians_come_closer_to_need():
    selfish = run(small("fee-for-service", months=12, **{"behaviour.altruism.a_values": [0.5, 0.25, 0.125]}))
    altruistic = run(small("fee-for-service", months=12, **{"behaviour.altruism.a_values": [8.0, 4.0, 2.0]}))
    deviation = lambda s: s["undertreatment_rate"] + s["overtreatment_rate"]  # noqa: E731
    assert deviation(altruistic.summary) < deviation(selfish.summary)
    capitated_selfish = run(small("jamtland-2020", months=12, **{"behaviour.altruism.a_values": [0.5, 0.25, 0.125]}))
    capitated_altruistic = run(small("jamtland-2020", months=12, **{"behaviour.altruism.a_values": [8.0, 4.0, 2.0]}))
    assert capitated_altruistic.summary["undertreatment_rate"] < capitated_selfish.summary["undertreatment_rate"]


def test_pay_for_performance_rewards_what_it_measures(runs):
    """Chronic residents' episodes are measured, so they get guideline care more often than under capitation."""
    cap = runs["jamtland-2020"].summary
    p4p = runs["pay-for-performance"].summary
    assert p4p["undertreatment_rate"] < cap["undertreatment_rate"]
