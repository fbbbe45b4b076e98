"""Needs arrive: each resident draws this month's care episodes, each with its q* and specialist need.

An episode is an illness or a problem that needs care. Its patient-optimal quantity of
care ``q_star`` (visits) is the quantity a fully informed, fully altruistic physician
would give; some episodes truly need specialist care. Rates rise with age, chronic
conditions, the Care Need Index and ill health. Draws are keyed by resident and month,
so every scenario with the same seed meets the same illnesses.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.special import expit

from sim.chunks import rows_where
from sim.population import Population
from sim.scenario import Needs
from sim.streams import Streams, poisson_from_uniform, to_normal

# where an episode is cared for
CLINIC, DIGITAL, EMERGENCY = 0, 1, 2
CHANNELS = ("clinic", "digital", "emergency")
#: each episode's own uniform draws, keyed by (resident, month, episode number), three per hash
DRAWS = ("severity", "specialist", "seeking", "physician", "other_physician", "judgement", "diagnosis", "rationing", "digital_adds", "exception", "self_referral", "specialty")


@dataclass
class Episodes:
    """This month's care episodes, one row each; later steps fill in the care given."""

    row: np.ndarray  # resident row, ascending (a resident's episodes are adjacent)
    pid: np.ndarray
    k: np.ndarray  # episode number within the resident's month
    q_star: np.ndarray  # patient-optimal visits
    needs_specialist: np.ndarray  # bool
    p_need: np.ndarray  # prior probability of specialist need a physician knows
    u: dict[str, np.ndarray]  # the episode's uniform draws, by name (DRAWS)
    specialty: np.ndarray = field(default=None)  # the hospital specialty a referral of the episode goes to (sim.hospital.SPECIALTIES)
    p_hat: np.ndarray = field(default=None)  # the physician's belief in specialist need, after their signal
    substituted: np.ndarray = field(default=None)  # an unreferred need the physician treats with extra visits instead
    channel: np.ndarray = field(default=None)  # CLINIC, DIGITAL or EMERGENCY
    provider: np.ndarray = field(default=None)  # provider index (-1 at the emergency department)
    usual: np.ndarray = field(default=None)  # handled by the resident's usual GP
    a: np.ndarray = field(default=None)  # the treating physician's weight on benefit relative to profit
    margin: np.ndarray = field(default=None)  # SEK the provider gains per extra visit
    q: np.ndarray = field(default=None)  # visits the physician chose
    referred: np.ndarray = field(default=None)
    self_referred: np.ndarray = field(default=None)  # a needed referral not made, which the resident makes themselves [egenremiss]
    q_delivered: np.ndarray = field(default=None)  # primary-care visits given after rationing
    specialist_visits: np.ndarray = field(default=None)  # visits of the episode's need a specialist took over
    substitute_visits: np.ndarray = field(default=None)  # of q, visits chosen instead of a referral: care for the specialist need
    substitute_delivered: np.ndarray = field(default=None)  # of q_delivered, those visits given after rationing
    q_efficient: np.ndarray = field(default=None)  # the cost-aware benchmark: visits that maximise benefit net of the cost of care
    digital_first: np.ndarray = field(default=None)  # a digital visit came first and added to the clinic's care
    fees: np.ndarray = field(default=None)  # patient fees paid for the episode's delivered visits, SEK

    @property
    def care(self) -> np.ndarray:
        """Visits of care the episode got toward its q*: primary care plus what a needed referral took over; visits given
        instead of a referral are care for the specialist need, not toward q* (``substitute_delivered``)."""
        return self.q_delivered - self.substitute_delivered + self.specialist_visits

    def __len__(self) -> int:
        return len(self.row)


def episode_rate_at_baseline(pop: Population, needs: Needs) -> np.ndarray:
    """Expected episodes per resident and month at baseline health: by age, conditions and CNI."""
    by_age = np.asarray(needs.episodes_per_year_by_age, dtype=np.float32)[pop.band]
    by_morbidity = np.asarray(needs.episodes_by_morbidity, dtype=np.float32)[pop.conditions]
    return by_age * by_morbidity * (1 + np.float32(needs.cni_effect_per_point) * pop.cni_score) / np.float32(12)


def episode_rate_per_month(pop: Population, needs: Needs, rows: np.ndarray | slice = slice(None)) -> np.ndarray:
    """Expected episodes per resident ``rows`` (all by default) this month: ill health (below baseline) raises need."""
    return pop.derived("episode rate", lambda: episode_rate_at_baseline(pop, needs))[rows] * np.exp(np.float32(needs.health_effect) * pop.deficit[rows])


def arrive(pop: Population, needs: Needs, streams: Streams, month: int, u: np.ndarray) -> Episodes:
    """Draw the month's episodes for every resident, from one keyed uniform per resident ``u``."""
    some = rows_where(len(pop), lambda part: u[part] > np.exp(-episode_rate_per_month(pop, needs, part)))  # most residents have no episode this month
    counts = poisson_from_uniform(episode_rate_per_month(pop, needs, some).astype(np.float64), u[some], most=6)
    row = np.repeat(some, counts)
    start = np.repeat(np.cumsum(counts) - counts, counts)
    k = (np.arange(len(row)) - start).astype(np.int16)
    pid = pop.pid[row]
    conditions = pop.conditions[row]
    u = {}
    for first in range(0, len(DRAWS), 3):
        u.update(zip(DRAWS[first : first + 3], streams.uniforms(f"episode {first}", pid, month, parts=3, slot=k)))
    median = needs.q_star_median * (1 + needs.q_star_per_condition * conditions)
    q_star = np.maximum(np.rint(median * np.exp(needs.q_star_dispersion * to_normal(u["severity"]))), 1).astype(np.int16)
    p_need = expit(
        needs.specialist_need_intercept
        + needs.specialist_need_per_unit * (q_star - 1)
        + needs.specialist_need_per_condition * conditions
    )
    return Episodes(row=row, pid=pid, k=k, q_star=q_star, needs_specialist=u["specialist"] < p_need, p_need=p_need, u=u)
