"""Probe regions: agents that probe from other places, judged by quorum (docs/regions.md).

- protocol.py: the assignment and result batches agents and the daemon exchange.
- quorum.py: a monitor's state from its fresh regions' states (pure); when a region is fresh.
- split.py: which agent of a region probes which monitor, and hand-overs on the grid (pure).
- liveness.py: when an agent is down (pure).
"""
