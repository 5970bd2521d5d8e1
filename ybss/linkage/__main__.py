"""``python -m ybss.linkage persons INPUT --out CLUSTERS.csv …``: the engine without Django."""

from __future__ import annotations

import sys

from .cli import main

sys.exit(main())
