"""A dashboard over finished runs and sweeps (``vardval dashboard RESULTS``): data.py reads their folders, app.py is the
page. Shiny for Python: maintained, serves its own scripts (no network at run time) and keeps the page's state on the
server, so a view is a function of the inputs, and tests drive it in a real browser (tests/test_dashboard.py)."""
