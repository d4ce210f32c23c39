"""Fixtures of the schema tests, and the count of schemathesis cases printed at the end."""

# The API tests' farm and catalogue: a vendor with mapped codes the generated calls can hit.
from tests.api.conftest import catalogue, farm  # noqa: F401

CASES = {"run": 0, "written": 0, "rejected": 0}


def pytest_terminal_summary(terminalreporter):
    if CASES["run"]:
        terminalreporter.write_line(
            f"schemathesis: {CASES['run']} generated API calls, {CASES['written']} accepted "
            f"(status 1), {CASES['rejected']} rejected with an error envelope"
        )
