"""Maintenance windows: when they are on (windows.py), the resource, and what they do to monitors and heartbeats."""
