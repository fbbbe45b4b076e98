"""The rulebook revision as a process: decision steps, providers' voice, a revision when needed, a payment known in time."""

from __future__ import annotations

import pytest

from conftest import small
from sim.revision import RulebookRevision
from sim.runner import run
from sim.scenario import Revision

SLOW = {"compilation": 3, "preparation": 4, "unions": 1, "management": 1, "health_board": 2, "regional_board": 1, "assembly": 2}


def revision(**values) -> RulebookRevision:
    return RulebookRevision(Revision(enabled=True, **values))


def test_a_decision_takes_effect_after_its_steps():
    assert revision().lag_years == 1  # ten months of steps: in force the next year
    slow = revision(steps_months=SLOW)
    assert slow.lag_years == 2
    slow.decide(3, access=0.70, spending_per_resident=3000, provider_margin=0.0)  # access short: capitation up
    assert slow.due(4) is None and slow.due(5) == pytest.approx(1.05) and slow.level == pytest.approx(1.05)


def test_providers_are_heard_only_when_consulted_and_a_revision_comes_only_when_needed():
    heard, unheard = revision(), revision(providers_consulted=False)
    for r in (heard, unheard):
        r.decide(1, access=0.85, spending_per_resident=3000, provider_margin=-0.10)  # on target, but providers lose 10 %
    assert heard.history[0]["decided_change"] == pytest.approx(0.03) and unheard.history[0]["decided_change"] == 0.0
    needed = revision(trigger="when_needed")
    needed.decide(1, access=0.84, spending_per_resident=3000, provider_margin=0.0)  # a 1 % push: below the threshold
    assert needed.history == [] and not needed.pending
    needed.decide(2, access=0.75, spending_per_resident=3000, provider_margin=0.0)
    assert len(needed.history) == 1


def test_clinics_plan_for_a_payment_decided_before_they_plan():
    for known in (False, True):
        r = revision(payment_known_before_planning=known)
        r.decide(1, access=0.70, spending_per_resident=3000, provider_margin=0.0)
        r.due(2)
        assert r.planned_change() == (pytest.approx(0.05) if known else 0.0)
    values = {"months": 48, "rulebook.revision.enabled": True, "rulebook.revision.access_target": 0.95}  # access short: capitation rises
    late, early = (run(small("jamtland-2020", **values, **{"rulebook.revision.payment_known_before_planning": known})) for known in (False, True))
    assert early.summary["capitation_level_final"] == pytest.approx(late.summary["capitation_level_final"], rel=0.05)
    assert (early.clinic_years["gp_fte"] != late.clinic_years["gp_fte"]).any()  # staff planned for the coming payment
    assert 0 < early.summary["income_change_sd"] < 1
