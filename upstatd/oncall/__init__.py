"""On-call (issue 16): who is on call when (layers.py, rotations.py) and when an
incident's escalation steps fall due (escalation.py). Pure cores only so far."""
