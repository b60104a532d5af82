"""The built-in simulator of the MrAssistant call API (api.md): FastAPI app, world state, faults.

Only imported by `call-console sim`, `--demo` and the tests; never on the console's normal path.
Import the heavy parts from their modules (`console.sim.app`, `console.sim.runner`); this package
exposes the light names only.
"""

from console.sim.faults import FAULT_KINDS, ROUTE_KEYS, FaultConfig, FaultRule
from console.sim.state import (
    DEMO_AGENTS,
    DEMO_PASSWORD,
    DEMO_TENANT_ID,
    DEMO_USER_ID,
    DEMO_USERNAME,
    DemoAgent,
    SimConfig,
)

__all__ = [
    "DEMO_AGENTS",
    "DEMO_PASSWORD",
    "DEMO_TENANT_ID",
    "DEMO_USER_ID",
    "DEMO_USERNAME",
    "FAULT_KINDS",
    "ROUTE_KEYS",
    "DemoAgent",
    "FaultConfig",
    "FaultRule",
    "SimConfig",
]
