"""A sandbox farm that plays a grower's Axerrio ERP against the portal's Komet-compatible API.

Run it with ``python -m sandbox.axerrio serve ...`` or use ``SandboxFarm`` from Python.
"""

from sandbox.axerrio.awb import CARGO_PREFIXES, awb_is_valid, make_awb
from sandbox.axerrio.catalogue import FARM_PRODUCTS, FarmProduct
from sandbox.axerrio.client import PortalClient, PortalError
from sandbox.axerrio.farm import SandboxFarm
from sandbox.axerrio.labels import BoxCodeGenerator
from sandbox.axerrio.orders import OrderLine, OrderResult
from sandbox.axerrio.signing import SignatureError, compute_signature, verify_signature
from sandbox.axerrio.workflow import FarmWorkflow

__all__ = [
    "CARGO_PREFIXES",
    "FARM_PRODUCTS",
    "BoxCodeGenerator",
    "FarmProduct",
    "FarmWorkflow",
    "OrderLine",
    "OrderResult",
    "PortalClient",
    "PortalError",
    "SandboxFarm",
    "SignatureError",
    "awb_is_valid",
    "compute_signature",
    "make_awb",
    "verify_signature",
]
