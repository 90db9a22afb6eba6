"""`/uptake-admin outcomes`: GitHub's organisation-only figures, never about fewer than k."""

from __future__ import annotations

import datetime as dt

import pytest

from storage.engine import session as open_session
from storage.outcomes import replace_org_outcomes
from tests.handlers.commands.test_admin import admin
from tests.handlers.commands.test_linking import app_with_admin
from tests.handlers.conftest import RunningApp

__all__ = ["app_with_admin"]  # the fixture, imported for pytest

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def report(app: RunningApp, days_ago: int, people: float, **figures: float) -> None:
    day = dt.datetime.now(dt.UTC).date() - dt.timedelta(days=days_ago)
    values = {("all", "daily_active_users"): people}
    for name, value in figures.items():
        cohort, _, metric = name.partition("__")
        values[(cohort.replace("_", " "), metric.replace("_dot_", "."))] = value
    with open_session(app.engine) as session:
        replace_org_outcomes(session, "copilot", day, values)
        session.commit()


def test_the_organisations_figures_are_shown_and_a_small_phase_is_not(
    app_with_admin: RunningApp,
) -> None:
    app = app_with_admin
    for days_ago, created, merged in ((2, 30, 20), (1, 12, 9)):
        report(
            app,
            days_ago,
            40,
            all__pull_requests_dot_total_created_by_copilot=created,
            all__pull_requests_dot_total_merged_created_by_copilot=merged,
            all__pull_requests_dot_median_minutes_to_merge=300 + days_ago,
            phase_2__total_engaged_users=31,
            phase_4__total_engaged_users=2,  # two people: GitHub's figure would be theirs
        )

    text = admin(app, "outcomes")

    assert "created by Copilot: 42" in text and "merged, created by Copilot: 29" in text
    assert "all pull requests 5.0 h" in text  # the latest day's median, not a sum of medians
    assert "phase 2: 31" in text
    assert "phase 4" not in text and "1 phase(s) with fewer than 5 people not shown" in text


def test_nothing_is_shown_for_an_organisation_of_fewer_than_k(app_with_admin: RunningApp) -> None:
    app = app_with_admin
    report(app, 1, 3, all__pull_requests_dot_total_created_by_copilot=4)

    text = admin(app, "outcomes")

    assert "fewer than 5 people used Copilot" in text and "created by Copilot" not in text


def test_a_day_that_does_not_say_how_many_people_shows_nothing(app_with_admin: RunningApp) -> None:
    app = app_with_admin
    report(app, 2, 40, all__pull_requests_dot_total_created_by_copilot=9)
    day = dt.datetime.now(dt.UTC).date() - dt.timedelta(days=1)
    with open_session(app.engine) as session:  # a day without daily_active_users
        replace_org_outcomes(
            session, "copilot", day, {("all", "pull_requests.total_created_by_copilot"): 1}
        )
        session.commit()

    text = admin(app, "outcomes")

    assert "GitHub did not say how many" in text and "created by Copilot" not in text
