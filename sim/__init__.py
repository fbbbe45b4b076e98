"""vardval: an agent-based simulator of a care-choice (vårdval) primary-care market.

The Python API mirrors the command line:

    >>> from sim import load_scenario, run
    >>> result = run(load_scenario("jamtland-2020").with_values({"months": 24}))
    >>> result.summary["undertreatment_rate"]
"""

from sim.runner import RunResult, run
from sim.scenario import Scenario, load_scenario

__all__ = ["RunResult", "Scenario", "load_scenario", "run"]
