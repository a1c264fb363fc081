"""Graphs as CSR arrays: the type (csr), generators, file and networkx I/O, and the
builder that turns a scenario's [graph] section into a graph (build)."""
from .csr import CSRGraph, complete_graph, from_arcs

__all__ = ["CSRGraph", "complete_graph", "from_arcs"]
