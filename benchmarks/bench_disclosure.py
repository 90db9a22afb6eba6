"""Utility of the released team figures on the demo organisation (a script, not a test).

Builds the demo in a throwaway SQLite file, makes the releases of the last complete week and
4 weeks twice — with the real ε and noise-free — and reports, as JSON, how many teams show each
figure and the typical error of a shown count.

    python -m benchmarks.bench_disclosure [--people 300] [--epsilon 1.0] [--draws 5]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import tempfile
from pathlib import Path

import sqlalchemy as sa

from bot.adoption import TierThresholds
from bot.demo import build_demo
from bot.figures.disclosure import Rules
from bot.figures.periods import last_complete
from bot.figures.releases import compute_releases, read_releases
from bot.teams import load_teams
from storage import releases as release_store
from storage.engine import make_engine
from storage.engine import session as open_session
from storage.migrate import upgrade
from storage.models import utcnow


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=300)
    parser.add_argument("--epsilon", type=float, default=1.0)
    parser.add_argument("--draws", type=int, default=5, help="fresh record keys per run")
    args = parser.parse_args()
    now = utcnow()
    periods = [last_complete(now.date()), last_complete(now.date(), 4)]
    errors: list[int] = []
    shown: dict[str, int] = {}
    teams_measured = 0
    with tempfile.TemporaryDirectory() as folder:
        engine = make_engine(f"sqlite:///{Path(folder) / 'bench.db'}")
        upgrade(engine)
        build_demo(engine, now=now, people_count=args.people, days=120)
        teams = load_teams(engine)
        with open_session(engine) as session:
            tools = release_store.identity_tools(session)

        def release(epsilon: float) -> dict[tuple[int, str], dict[str, int]]:
            with engine.begin() as connection:
                connection.execute(sa.text("DELETE FROM team_release"))
                connection.execute(sa.text("DELETE FROM disclosure_key"))
            for period in periods:
                compute_releases(
                    engine,
                    teams,
                    period,
                    rules=Rules(k=5, epsilon=epsilon),
                    thresholds=TierThresholds(),
                    tools=tools,
                )
            found = {}
            for team in teams:
                for name, rel in read_releases(engine, team, periods).items():
                    if rel.visible:
                        found[(team.id, name)] = dict(rel.counts)
            return found

        truth = release(60.0)
        for _ in range(args.draws):
            noisy = release(args.epsilon)
            for key, counts in noisy.items():
                for figure, value in counts.items():
                    errors.append(abs(value - truth[key][figure]))
        teams_measured = len({team for team, _ in truth})
        for counts in truth.values():
            for figure in counts:
                kind = figure.split(":")[0]
                shown[kind] = shown.get(kind, 0) + 1
        engine.dispose()
    print(
        json.dumps(
            {
                "people": args.people,
                "epsilon": args.epsilon,
                "teams_with_figures": teams_measured,
                "teams_total": len(teams),
                "figures_shown_by_kind": shown,
                "count_error": {
                    "mean_abs": round(statistics.fmean(errors), 3),
                    "exact_share": round(sum(e == 0 for e in errors) / len(errors), 3),
                    "within_1_share": round(sum(e <= 1 for e in errors) / len(errors), 3),
                    "within_2_share": round(sum(e <= 2 for e in errors) / len(errors), 3),
                    "max_abs": max(errors),
                    "samples": len(errors),
                },
                "measured_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
