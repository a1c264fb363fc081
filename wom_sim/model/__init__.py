"""The model's rules (rules.py), its metrics (metrics.py) and what theory says about a
scenario (theory.py): each written once, used by every engine path and feature."""
