"""Probe regions: agents that probe from other places, judged by quorum (docs/regions.md).

- protocol.py: the assignment and result batches agents and the daemon exchange.
"""
