"""Where an episode seeks care: the listed clinic, a digital-first provider or the emergency department.

A multinomial logit: the clinic loses appeal with its expected wait and distance; digital
care suits the young and mild problems (it cannot examine); the emergency department draws
severe episodes and those near the hospital. One keyed uniform per episode picks the channel.
"""

from __future__ import annotations

import numpy as np

from sim.chunks import chunks
from sim.geography import AREA_TYPES
from sim.needs import CLINIC, DIGITAL, EMERGENCY, Episodes
from sim.population import TASTE_STEPS, Population
from sim.scenario import Seeking

TOWN = AREA_TYPES.index("town")


def digital_affinity(pop: Population, rows: np.ndarray, params: Seeking) -> np.ndarray:
    """Residents' taste for digital care: their own (fixed for life), plus age and town."""
    age = pop.age[rows]
    return (
        params.digital_affinity_spread / TASTE_STEPS * pop.digital_taste[rows]
        + params.digital_young * (age < 40)
        + params.digital_old * (age >= 70)
        + params.digital_town * (pop.area_type[rows] == TOWN)
    )


def choose_channel(
    ep: Episodes,
    pop: Population,
    wait_days: np.ndarray,
    km_to_clinic: np.ndarray,
    params: Seeking,
    digital: bool,
) -> np.ndarray:
    """CLINIC, DIGITAL or EMERGENCY for each episode, a chunk of episodes at a time (sim.chunks).

    ``wait_days[i]`` is the expected wait at episode i's listed clinic, ``km_to_clinic[i]``
    its distance.
    """
    channel = np.empty(len(ep), np.int8)
    for part in chunks(len(ep)):
        rows = ep.row[part]
        extra_need = ep.q_star[part] - 1.0
        u_clinic = -params.wait_per_day * wait_days[part] - params.clinic_distance_per_10km * km_to_clinic[part] / 10
        u_emergency = (
            params.emergency_constant
            + params.emergency_per_unit_of_need * extra_need
            - params.emergency_distance_per_10km * pop.hospital_km(rows) / 10
        )
        utilities = [None, None, None]
        utilities[CLINIC], utilities[EMERGENCY] = u_clinic, u_emergency
        utilities[DIGITAL] = np.full(len(rows), -np.inf)
        if digital:
            utilities[DIGITAL] = (
                params.digital_constant
                + digital_affinity(pop, rows, params)
                - params.digital_per_unit_of_need * extra_need
            )
        v = np.stack(utilities)
        p = np.exp(v - v.max(axis=0))
        cdf = np.cumsum(p, axis=0) / p.sum(axis=0)
        channel[part] = (ep.u["seeking"][part][None, :] > cdf[:-1]).sum(axis=0)
    return channel
