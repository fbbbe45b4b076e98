"""The physician's choice of quantity and referral, under the incentives of the rulebook.

A physician maximises ``alpha * benefit(q) + (1 - alpha) * profit(q)``; dividing by
``1 - alpha`` this is ``a * benefit(q) + profit(q)`` with ``a = alpha / (1 - alpha)``, the
weight on the patient's benefit relative to profit (Ellis & McGuire 1986; the experimental
literature in evidence.md E1-E6). The benefit is money-metric and concave with its peak at
the patient-optimal quantity q*:

    B(q) = V q* (2x - x^2),  x = q / q*,

so B(q*) = V q* and each visit beyond or short of q* costs the patient. With a constant
margin m per visit (revenue minus cost, SEK), the optimum is q* (1 + m / (2 a V)):
capitation (m < 0) pushes below q*, fee-for-service (m > 0) above, and a larger a brings q
toward q*. Quantities are whole visits: the integer nearest the optimum, which is the
integer optimum of a concave quadratic. The same functions serve the market simulation
and the standard-patients experiment.
"""

from __future__ import annotations

import numpy as np

from sim.scenario import Altruism, Referral, Treatment


def benefit(q: np.ndarray, q_star: np.ndarray, value_per_unit: np.ndarray | float) -> np.ndarray:
    """Money-metric benefit to the patient of q visits, SEK."""
    x = np.asarray(q, dtype=np.float64) / q_star
    return value_per_unit * q_star * (2 * x - x * x)


def valuation(params: Treatment, z: np.ndarray) -> np.ndarray:
    """The physician's value of a needed visit for each episode, SEK: V with log-normal judgement
    noise of mean one, from standard normals ``z``."""
    return params.value_sek_per_unit * np.exp(params.judgement_noise * z - params.judgement_noise**2 / 2)


def choose_quantity(
    q_star: np.ndarray,
    a: np.ndarray,
    value_per_unit: np.ndarray | float,
    margin: np.ndarray | float,
    q_min: int | np.ndarray,
    q_max: int | np.ndarray,
    bonus: np.ndarray | float = 0.0,
    bonus_from: np.ndarray | None = None,
) -> np.ndarray:
    """Visits that maximise a B(q) + margin q + bonus [q >= bonus_from], within [q_min, q_max].

    ``bonus`` (SEK) is paid when the episode gets at least ``bonus_from`` visits, as a
    pay-for-performance indicator rewards a measured service.
    """
    vertex = q_star * (1 + margin / (2 * a * value_per_unit))
    q = np.clip(np.rint(vertex), q_min, q_max)
    if bonus_from is not None:
        q_b = np.clip(np.maximum(q, bonus_from), q_min, q_max)
        gain = a * (benefit(q_b, q_star, value_per_unit) - benefit(q, q_star, value_per_unit)) + margin * (q_b - q) + bonus
        q = np.where((gain > 0) & (q_b >= bonus_from), q_b, q)
    return q.astype(np.int16)


def efficient_quantity(q_star: np.ndarray, value_per_unit: np.ndarray | float, cost_per_unit: np.ndarray | float, q_min: int | np.ndarray = 0, q_max: int | np.ndarray = 10**6) -> np.ndarray:
    """The cost-aware benchmark: visits that maximise the patient's benefit net of the cost of care, B(q) - c q,
    i.e. q* (1 - c / 2V) to the nearest whole visit: what a physician who weighs benefit and profit alike (a = 1)
    would choose if the visit's whole cost were the margin (Ellis & McGuire 1986; evidence.md E6)."""
    return choose_quantity(q_star, 1.0, value_per_unit, -np.asarray(cost_per_unit, dtype=np.float64), q_min, q_max)


def believed_need(p_need: np.ndarray, needs: np.ndarray, z: np.ndarray, accuracy: float) -> np.ndarray:
    """The physician's posterior probability of specialist need, from a noisy signal.

    The signal is ``accuracy * need + z`` with standard-normal ``z``; the prior is the
    episode's probability of need, which the physician knows from its presentation.
    """
    signal = accuracy * needs + z
    odds = p_need / (1 - p_need) * np.exp(accuracy * signal - accuracy**2 / 2)
    return odds / (1 + odds)


def choose_referral(p_hat: np.ndarray, a: np.ndarray, params: Referral, money: np.ndarray | float) -> np.ndarray:
    """Refer when the need is clear-cut (p_hat at least the norm's belief), or when a x value x (p_hat - threshold) + money > 0.

    ``money`` is what the referral does to the clinic's profit as it reaches the physician,
    SEK: the visits it saves (positive under capitation) minus the share of any price the
    clinic pays for it (fundholding) that reaches the decision.
    """
    return (p_hat >= params.clear_cut_belief) | (a * params.value_sek * (p_hat - params.unneeded_cost_share) + money > 0)


def choose_substitution(p_hat: np.ndarray, a: np.ndarray, params: Referral, margin: np.ndarray | float) -> np.ndarray:
    """Instead of a referral believed needed but not made, give ``substitute_visits`` extra visits when
    a x effect x value x (p_hat - threshold) exceeds what the visits cost the clinic."""
    worth = a * params.substitute_effect * params.value_sek * (p_hat - params.unneeded_cost_share)
    return (params.substitute_visits > 0) & (worth + margin * params.substitute_visits > 0)


def altruism_weights(params: Altruism) -> tuple[np.ndarray, np.ndarray]:
    shares = np.asarray(params.shares, dtype=np.float64)
    return params.scale * np.asarray(params.a_values, dtype=np.float64), shares / shares.sum()


def draw_a(u: np.ndarray, params: Altruism) -> np.ndarray:
    """Physicians' weights a on benefit, from uniforms (inverse CDF of the mixture)."""
    values, shares = altruism_weights(params)
    index = np.minimum(np.searchsorted(np.cumsum(shares), u, side="right"), len(values) - 1)
    return values[index]
