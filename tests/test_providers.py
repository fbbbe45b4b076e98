"""The providers as columns: a clinic agent's attributes are its row of the provider table, and the queue of every
provider steps at once as one clinic's would."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim.model import CareMarket
from sim.providers import expected_wait_days

from conftest import small


def test_a_clinic_reads_and_writes_its_row_of_the_provider_table():
    model = CareMarket(small("jamtland-2020", months=12))
    clinic, table = model.clinics[3], model.providers_table
    clinic.wait_days = 7.5
    assert table.wait_days[3] == 7.5 and table.wait_days[2] != 7.5
    table.selection_effort[3] = 0.4
    assert clinic.selection_effort == 0.4 and type(clinic.selection_effort) is float  # a Python scalar, as an attribute
    assert clinic.owner == table.owner[3] and type(clinic.open) is bool


def test_the_queue_of_every_provider_moves_as_one_clinics_would():
    model = CareMarket(small("jamtland-2020", months=12))
    table, market = model.providers_table, model.params.market
    load, demand = table.load.copy(), table.gp_fte * market.staffing.units_per_team_per_year / 12 * 1.2  # 20 % over capacity
    served = table.serve(market, demand)
    clinic = ~table.is_owner("digital")
    assert np.allclose(served[clinic], 1 / 1.2)  # beyond capacity care is rationed, not queued
    assert np.allclose(table.load[clinic], load[clinic] + (1.2 - load[clinic]) / 3)  # the queue remembers about three months
    a = market.access
    busy = min(table.load[0], 0.995)
    assert table.wait_days[0] == pytest.approx(a.min_wait_days + a.wait_scale_days * busy / (1 - busy))
    assert table.access_3day[0] == pytest.approx(1 - math.exp(-3 / expected_wait_days(a, table.load[0])))
    assert table.demand_year[0] >= demand[0]
