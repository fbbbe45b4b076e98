"""Standard patients: the experimental decision problem of evidence.md, decided by the simulator's own code.

A physician chooses q in 0..10 services for a patient type whose benefit B(q) peaks at the
patient-optimal q* (sim.behaviour.treatment.benefit). Under fee-for-service each service
earns the fee p and costs c (profit p q - c q, highest at q = 10 when p > c); under
capitation a lump sum L per patient pays nothing at the margin (profit L - c q, highest at
q = 0); the mixed system pays half of each. Physicians maximise a B(q) + profit with a
drawn from the scenario's altruism distribution and the simulator's judgement noise on
the value of a visit, through ``choose_quantity``, the function that decides every
episode of the market simulation (evidence.md E1-E6, E10, E11).

The money is the default scenario's: p is the fee-for-service scenario's mean fee per
visit, c a town clinic's marginal cost of a visit (staff at the staffing norm, lab and
drugs the clinic carries), V the value of a needed visit. The patient fee is left out, as
in the laboratory, where profit comes from the payer alone.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.behaviour.treatment import altruism_weights, benefit, choose_quantity, draw_a, efficient_quantity, valuation
from sim.geography import AREA_TYPES
from sim.labour import fixed_vacancies
from sim.market import staff_cost_per_visit
from sim.payment.fee_for_service import FeeForService
from sim.scenario import Scenario, load_scenario
from sim.streams import to_normal

#: q* of the patient types: rising severity, inside 0..10 so that both corners are deviations
PATIENT_TYPES = (2, 3, 4, 5, 6, 7, 8)
Q_MAX = 10
#: share of the fee per service and of the lump sum each payment pays
PAYMENTS = {"fee-for-service": 1.0, "mixed": 0.5, "capitation": 0.0}
#: the fee search's step, SEK per service (E6)
FEE_STEP_SEK = 5.0


@dataclass(frozen=True)
class Lab:
    """The experiment's money, SEK, and the physicians' preferences, from a scenario."""

    fee_sek: float  # p: fee per service under fee-for-service
    cost_sek: float  # c: marginal cost of a service
    value_sek: float  # V: value to the patient of a needed service
    scenario: Scenario

    @classmethod
    def from_scenario(cls, scenario: Scenario) -> Lab:
        m = scenario.market
        carried = scenario.rulebook.cost_responsibility
        cost = staff_cost_per_visit(m.staffing, fixed_vacancies(m.staffing))[AREA_TYPES.index("town")] + carried.lab_radiology * m.costs.lab_sek_per_unit + carried.drugs * m.costs.drugs_sek_per_unit
        fees = load_scenario("fee-for-service").rulebook.fee_for_service
        return cls(fee_sek=FeeForService(fees).fee_per_visit(m.staffing), cost_sek=float(cost), value_sek=scenario.behaviour.treatment.value_sek_per_unit, scenario=scenario)

    def margin(self, fee_share: float) -> float:
        """Profit of one more service, SEK: the share of the fee paid minus its cost."""
        return fee_share * self.fee_sek - self.cost_sek


def physicians(lab: Lab, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``n`` physicians' weights a on benefit, and their judgement of the value of a visit per patient type, SEK."""
    rng = np.random.default_rng(seed)
    a = draw_a(rng.random(n), lab.scenario.behaviour.altruism)
    value = valuation(lab.scenario.behaviour.treatment, to_normal(rng.random((n, len(PATIENT_TYPES)))))
    return a, value


def decide(lab: Lab, a: np.ndarray, value: np.ndarray, fee_share: float) -> np.ndarray:
    """Each physician's q for each patient type (physicians x types) under a payment."""
    q_star = np.asarray(PATIENT_TYPES, dtype=np.float64)[None, :]
    return choose_quantity(q_star, a[:, None], value, lab.margin(fee_share), 0, Q_MAX).astype(np.float64)


def standard_patients(scenario: Scenario, n: int = 2000, seed: int = 1) -> pd.DataFrame:
    """Mean q, mean |q - q*|, shortfall, excess and benefit (SEK) by payment and patient type: standard-patients.csv."""
    lab = Lab.from_scenario(scenario)
    a, value = physicians(lab, n, seed)
    q_star = np.asarray(PATIENT_TYPES, dtype=np.float64)
    rows = []
    for payment, share in PAYMENTS.items():
        q = decide(lab, a, value, share)
        for j, qs in enumerate(q_star):
            rows.append(
                {
                    "payment": payment,
                    "patient_type": j + 1,
                    "q_star": int(qs),
                    "mean_q": q[:, j].mean(),
                    "mean_abs_dev": np.abs(q[:, j] - qs).mean(),
                    "mean_shortfall": np.maximum(qs - q[:, j], 0).mean(),
                    "mean_excess": np.maximum(q[:, j] - qs, 0).mean(),
                    "mean_benefit": benefit(q[:, j], qs, lab.value_sek).mean(),
                }
            )
    return pd.DataFrame(rows)


def payment_choice(scenario: Scenario, n: int = 2000, seed: int = 1) -> pd.DataFrame:
    """Each physician's preferred payment when they may choose (evidence.md E5).

    A physician treating one patient of each type compares a x benefit + profit under
    fee-for-service with capitation, the lump sum set to pay what fee-for-service pays
    at need (L = p q*, the budget-neutral convention of the built-in scenarios).
    """
    lab = Lab.from_scenario(scenario)
    a, value = physicians(lab, n, seed)
    q_star = np.asarray(PATIENT_TYPES, dtype=np.float64)[None, :]
    utility = {}
    for payment in ("fee-for-service", "capitation"):
        share = PAYMENTS[payment]
        q = decide(lab, a, value, share)
        lump = (1 - share) * lab.fee_sek * q_star
        utility[payment] = (a[:, None] * benefit(q, q_star, value) + lump + lab.margin(share) * q).sum(axis=1)
    prefers = np.where(utility["fee-for-service"] >= utility["capitation"], "fee-for-service", "capitation")
    return pd.DataFrame({"a": a, "prefers": prefers})


def efficient_fees(scenario: Scenario) -> pd.DataFrame:
    """For each altruism weight a: the fees per service at which the physician gives the efficient quantity (evidence.md E6).

    The efficient quantity maximises the patient's benefit net of the cost of care,
    B(q) - c q (``efficient_quantity``: q*(1 - c / 2V), rounded). Searching the fee through
    ``choose_quantity`` finds the fees that make each physician choose it; the analytic
    answer in this model is p = (1 - a) c, so physicians who differ in a need
    different fees.
    """
    lab = Lab.from_scenario(scenario)
    q_star = np.asarray(PATIENT_TYPES, dtype=np.float64)
    efficient = efficient_quantity(q_star, lab.value_sek, lab.cost_sek, 0, Q_MAX)
    weights = sorted(set(altruism_weights(scenario.behaviour.altruism)[0]))
    # a grid in whole steps, and each analytic fee itself: where a patient type's efficient q is a tie, the
    # band of fees giving it can start exactly at the analytic fee, which a grid alone may step over
    step = FEE_STEP_SEK
    fees = np.union1d(step * np.arange(np.floor(-3 * lab.cost_sek / step), np.ceil(3 * lab.cost_sek / step)), [(1 - a) * lab.cost_sek for a in weights])
    rows = []
    for a in weights:
        q = choose_quantity(q_star[None, :], a, lab.value_sek, (fees - lab.cost_sek)[:, None], 0, Q_MAX)
        deviation = np.abs(q - efficient[None, :]).sum(axis=1)
        best = fees[deviation == deviation.min()]
        rows.append({"a": a, "fee_low_sek": best.min(), "fee_high_sek": best.max(), "analytic_fee_sek": (1 - a) * lab.cost_sek})
    return pd.DataFrame(rows)
