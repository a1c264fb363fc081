"""The package version and the versions a result records (summary.json, lesson.json)."""
from __future__ import annotations

import platform

__version__ = "0.1.0"


def versions() -> dict[str, str]:
    """Versions of wom-sim, Python and the numerical libraries behind a result."""
    import networkx
    import numpy
    import scipy
    return {"wom_sim": __version__, "python": platform.python_version(), "numpy": numpy.__version__,
            "scipy": scipy.__version__, "networkx": networkx.__version__}
