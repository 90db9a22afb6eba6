"""The web process: health check, routing, and the Home tab event."""

from __future__ import annotations

import json

import httpx
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bot.gateway.wsgi import UptakeWSGI
from storage.engine import make_engine
from tests.blocks.limits import assert_within_slack_limits
from tests.handlers.conftest import BackgroundServer, RunningApp, now_ts


def test_healthz_checks_the_database(running_app: RunningApp) -> None:
    response = running_app.http.get(f"{running_app.base_url}/healthz")
    assert response.status_code == 200
    assert response.json() == {"database": "ok"}


def test_healthz_reports_an_unreachable_database(running_app: RunningApp, tmp_path) -> None:  # type: ignore[no-untyped-def]
    missing = make_engine(f"sqlite:///{tmp_path / 'no-such-dir' / 'x.db'}")
    app = running_app  # reuse the Bolt app's settings; only the engine differs
    from bot.app import create_app

    wsgi = UptakeWSGI(create_app(app.settings, engine=missing), missing, settings=app.settings)
    server = BackgroundServer(wsgi)
    try:
        response = httpx.get(f"{server.base_url}/healthz", timeout=5)
    finally:
        server.stop()
    assert response.status_code == 503
    assert response.json() == {"database": "unavailable"}


def test_unknown_paths_are_404(running_app: RunningApp) -> None:
    assert running_app.http.get(f"{running_app.base_url}/admin").status_code == 404
    assert running_app.http.get(f"{running_app.base_url}/slack/events").status_code == 404


def test_home_tab_shows_the_persons_own_summary(running_app: RunningApp, engine: Engine) -> None:
    running_app.fake.add_user("U0HOME", email="home@example.com")
    event = {
        "token": "x",
        "team_id": "T0TEST",
        "api_app_id": "A0UPTAKE",
        "type": "event_callback",
        "event_id": "Ev0001",
        "event_time": now_ts(),
        "event": {
            "type": "app_home_opened",
            "user": "U0HOME",
            "channel": "D0HOME",
            "tab": "home",
            "event_ts": f"{now_ts()}.000100",
        },
    }
    response = running_app.post_signed(json.dumps(event).encode(), content_type="application/json")
    assert response.status_code == 200
    published = running_app.fake.wait_for("views.publish").body
    assert published["user_id"] == "U0HOME"
    assert published["view"]["type"] == "home"
    assert_within_slack_limits(published["view"]["blocks"])
    with engine.connect() as connection:
        count = connection.execute(
            sa.text("SELECT COUNT(*) FROM person WHERE slack_user_id = 'U0HOME'")
        ).scalar_one()
    assert count == 1
