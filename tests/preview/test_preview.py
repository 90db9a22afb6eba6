"""`uptake preview`: every surface for a four-tool user, a first-time user and a manager, as
Slack's JSON within Slack's limits and as HTML pages at phone and desktop width."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import sqlalchemy as sa

from bot.cli import main
from bot.preview.files import write_preview
from bot.preview.html import DESKTOP_WIDTH, PHONE_WIDTH
from bot.preview.surfaces import (
    PERSON_SURFACES,
    PREVIEW_FILE,
    SURFACES,
    PreviewError,
    preview_surface,
)
from storage.models import AuditEntry, Person
from tests.blocks.limits import assert_within_slack_limits
from tests.preview.conftest import DemoPeople


def who(demo: DemoPeople, role: str) -> str:
    return {"four_tools": demo.four_tools, "manager": demo.manager}[role]


# Every surface for both; `/teamusage` for the team someone is in, the digest of one they lead.
CASES = [(surface, "four_tools") for surface in (*PERSON_SURFACES, "teamusage")] + [
    (surface, "manager") for surface in SURFACES
]


@pytest.mark.parametrize(("surface", "role"), CASES)
def test_every_surface_renders_within_slacks_limits(
    demo: DemoPeople, surface: str, role: str, tmp_path: Path
) -> None:
    shown = preview_surface(demo.services, surface, user=who(demo, role))

    assert_within_slack_limits(shown.blocks)
    written = write_preview(shown, tmp_path)

    names = {path.name for path in written}
    stem = f"{surface}-{shown.subject}"
    assert {f"{stem}.json", f"{stem}.phone.html", f"{stem}.desktop.html"} <= names
    assert json.loads((tmp_path / f"{stem}.json").read_text()) == shown.payload
    phone = (tmp_path / f"{stem}.phone.html").read_text()
    desktop = (tmp_path / f"{stem}.desktop.html").read_text()
    assert f"width: {PHONE_WIDTH}px" in phone and f"width: {DESKTOP_WIDTH}px" in desktop
    # Every block is on the page, and none is an unknown one.
    headers = [b["text"]["text"] for b in shown.blocks if b["type"] == "header"]
    for title in headers:
        assert title.replace("&", "&amp;").replace("<", "&lt;") in phone
    assert 'class="unknown"' not in phone and 'class="missing-image' not in phone
    # A chart is a PNG beside the pages, and the page shows it in its image block's place.
    for block in shown.blocks:
        if block["type"] == "image":
            assert block["slack_file"] == {"id": PREVIEW_FILE}
            (image,) = [path for path in written if path.suffix == ".png"]
            assert image.read_bytes().startswith(b"\x89PNG")
            assert f'src="{image.name}"' in phone


def test_myusage_and_the_digest_carry_their_chart(demo: DemoPeople) -> None:
    mine = preview_surface(demo.services, "myusage", user=demo.four_tools)
    digest = preview_surface(demo.services, "digest", user=demo.manager)

    for shown in (mine, digest):
        assert [b["type"] for b in shown.blocks].count("image") == 1
        assert shown.images[PREVIEW_FILE].startswith(b"\x89PNG")
    # The digest's chart comes right after its headline, where the sender puts it.
    assert [b["type"] for b in digest.blocks][:2] == ["header", "image"]
    assert mine.payload["response_type"] == "ephemeral"


def test_a_first_time_user_sees_how_to_start(demo: DemoPeople, tmp_path: Path) -> None:
    for surface in ("myusage", "home"):
        shown = preview_surface(demo.services, surface, user=demo.first_timer)
        assert_within_slack_limits(shown.blocks)
        assert not shown.images  # no figures, so no chart
        write_preview(shown, tmp_path)
    tip = preview_surface(demo.services, "tip", user=demo.first_timer)  # a first step
    assert_within_slack_limits(tip.blocks)


def test_looking_at_a_persons_surfaces_is_audited(demo: DemoPeople) -> None:
    preview_surface(demo.services, "home", user=demo.four_tools)

    with demo.services.engine.connect() as connection:
        person_id = connection.execute(
            sa.select(Person.id).where(Person.slack_user_id == demo.four_tools)
        ).scalar_one()
        looks = connection.execute(
            sa.select(AuditEntry.actor_slack_user_id, AuditEntry.detail).where(
                AuditEntry.subject_person_id == person_id
            )
        ).all()
    assert any("home preview" in json.dumps(detail) for _, detail in looks)


@pytest.mark.parametrize(
    ("surface", "options", "problem"),
    [
        ("myusage", {"user": "U0NOBODY1"}, "no person with Slack id U0NOBODY1"),
        ("home", {"team": "demo-payments"}, "give --user"),
        ("digest", {"team": "no-such-team"}, "no team 'no-such-team'"),
        ("teamusage", {"user": "U0FIRST01"}, "U0FIRST01 is in no team"),
        ("digest", {"user": "U0FIRST01"}, "U0FIRST01 manages no team"),
        ("email", {"user": "U0FIRST01"}, "unknown surface"),
    ],
)
def test_what_cannot_be_shown_is_said(
    demo: DemoPeople, surface: str, options: dict[str, str], problem: str
) -> None:
    with pytest.raises(PreviewError, match=re.escape(problem)):
        preview_surface(demo.services, surface, **options)


def test_the_command_writes_the_files_and_counts_the_blocks(
    demo: DemoPeople,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("DATABASE_URL", demo.url)

    status = main(["preview", "digest", "--team", "demo-payments", "--out", str(tmp_path)])

    out = capsys.readouterr().out
    assert status == 0
    assert re.search(r"^digest for demo-payments: \d+ blocks -> ", out, re.MULTILINE)
    assert (tmp_path / "digest-demo-payments.phone.html").is_file()
    assert (tmp_path / "digest-demo-payments.desktop.html").is_file()
    assert (tmp_path / "digest-demo-payments-chart.png").is_file()

    assert main(["preview", "tip", "--out", str(tmp_path)]) == 2
    assert "give --user or --team" in capsys.readouterr().err


def test_the_command_lists_the_same_surfaces_as_the_previews() -> None:
    from bot.cli import preview as command

    assert command.SURFACES == SURFACES
