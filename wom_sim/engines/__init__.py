"""Engines that run MODEL.md: the vectorized NumPy core (numpy_engine, with bass and
the sampling kernels)."""
