"""Figures, in one visual language: style.py (stage names, one palette, line styles),
figure.py (matplotlib Figures built directly, never pyplot, and how they are saved),
run.py (the figures of one run: adoption, funnel, messages)."""
