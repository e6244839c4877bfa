"""The customer service ladder: reviews to rungs, businesses to positions, rankings and reports.

No I/O beyond what it is handed (a database from :func:`db.open_db`, text, numbers).
"""
