"""How team figures are made and protected: periods, cell-key noise, disclosure and releases.

Every group figure Uptake shows comes from here. A *release* is the stored, final set of
figures for one team and one fixed, complete period; every surface (`/teamusage`, digests and
their charts, admin views, the CLI) reads the same release, so the same team and period show
the same figures everywhere. `docs/privacy.md` explains the method and its guarantees.
"""
