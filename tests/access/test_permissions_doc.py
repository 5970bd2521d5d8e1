import re
from pathlib import Path

from ybss.access.roles import CAPABILITY_LABELS, MATRIX, Role

DOC = Path(__file__).resolve().parents[2] / "docs" / "permissions.md"


def _table() -> dict[str, dict[str, bool]]:
    text = DOC.read_text(encoding="utf-8")
    block = text.split("<!-- matrix:start -->")[1].split("<!-- matrix:end -->")[0].strip().splitlines()
    roles = re.findall(r"`([a-z_]+)`", block[0])
    out: dict[str, dict[str, bool]] = {}
    for line in block[2:]:
        cells = [c.strip() for c in line.strip("|").split("|")]
        cap = re.findall(r"`([a-z_.]+)`", cells[0])[0]
        out[cap] = {role: cell == "✓" for role, cell in zip(roles, cells[1:], strict=True)}
    return out


def test_documented_matrix_is_the_code_matrix() -> None:
    table = _table()
    assert set(table) == set(CAPABILITY_LABELS)
    for cap, row in table.items():
        assert set(row) == set(Role.values)
        for role, allowed in row.items():
            assert allowed == (cap in MATRIX[role]), f"docs/permissions.md disagrees on {role} / {cap}"


def test_auditors_and_system_administrators_see_no_personal_data() -> None:
    for role in (Role.AUDITOR, Role.SYSADMIN):
        assert not {c for c in MATRIX[role] if c.startswith("person.")}
