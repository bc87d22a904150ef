"""CPU amounts as Kubernetes writes them in a pod spec: below one core in millicores (`10m`,
`250m`), from one core in cores (`2`, `1.5`), so a report names the limit a person can find."""

from __future__ import annotations


def cpu_quantity(cores: float) -> str:
    """`10m` for 0.01 core, `1.5` for 1.5 cores (a limit as `resources.limits.cpu` writes it)."""
    if cores <= 0:
        return "0"
    if cores < 1:
        milli = round(cores * 1000)
        return f"{max(milli, 1)}m"
    rounded = round(cores, 2)
    return str(int(rounded)) if rounded == int(rounded) else f"{rounded:g}"
