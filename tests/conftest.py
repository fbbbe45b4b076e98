"""Shared fixtures: small, fast versions of the built-in scenarios (20,000 residents, two years)."""

from __future__ import annotations

import functools

import pytest

from sim import load_scenario, run

SMALL = {"population.residents": 20_000, "months": 24}


def small(name: str, **values) -> object:
    """A built-in scenario shrunk for tests; ``values`` override dotted field paths."""
    return load_scenario(name, {**SMALL, **values})


@functools.cache
def small_run(name: str, seed: int = 1):
    return run(small(name, seed=seed))


@pytest.fixture(scope="session")
def runs():
    """Results of the four built-in payment scenarios on one seed."""
    names = ("jamtland-2020", "fee-for-service", "pay-for-performance", "blend-capitation-ffs")
    return {name: small_run(name) for name in names}


@pytest.fixture(scope="session")
def shared_ray():
    """Ray started once, with two CPUs, for every sweep of the session that asks for it: a sweep joins a running Ray
    instead of starting and stopping its own (seconds each time)."""
    import ray

    from sim.executor import start_ray

    if not ray.is_initialized():
        start_ray(2, None)
    yield
    ray.shutdown()


def assert_same_national_tables(a, b) -> None:
    """Two national runs (sim.nation.NationalResult) gave the same tables: flows, the providers' and the border's
    months, and every region's monthly outcomes and clinic-years."""
    import pandas as pd

    for table in ("flows", "digital_months", "border_months"):
        pd.testing.assert_frame_equal(getattr(a, table), getattr(b, table))
    for x, y in zip(a.regions, b.regions):
        pd.testing.assert_frame_equal(x.monthly, y.monthly)
        pd.testing.assert_frame_equal(x.clinic_years, y.clinic_years)
