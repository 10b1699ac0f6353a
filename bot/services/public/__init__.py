"""public: residents' reports (有奖举报) from the web form and Open311, and the office's triage.

`reports` files and looks up; `triage` routes a report to a grid as an ordinary ticket or
rejects it; `open311` speaks GeoReport v2; `apikeys` issues the Open311 clients' keys.
Only the web routes and the command line import this package.
"""
