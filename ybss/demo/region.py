"""The demo's region: 涿鹿县 first, then the other counties and districts of 张家口市 in code
order, for ``ybss demo --county`` and the benchmarks that build several counties.

No Django import: the benchmarks read it before they set Django up.
"""

from __future__ import annotations

COUNTIES = (
    "130731",
    "130702",
    "130703",
    "130705",
    "130706",
    "130708",
    "130709",
    "130722",
    "130723",
    "130724",
    "130725",
    "130726",
    "130727",
    "130728",
    "130730",
    "130732",
)
# The deployment region that holds them all (YBSS_REGION).
PREFECTURE = "1307"
