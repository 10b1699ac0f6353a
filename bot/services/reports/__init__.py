"""Indicators, assessment ranking, weekly and monthly reports, charts and Excel ledgers."""
