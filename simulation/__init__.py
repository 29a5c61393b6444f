"""``kipu-harness simulate``: a facility over simulated days on the systems' shared clock, and what
it shows (simulation.json and a page of charts, page.py)."""
