"""Attacks by a viewer combining every answer they can get about overlapping teams and times.

Each test plays one attack class from the privacy issue through the real surfaces
(`/teamusage`, the digest) and checks two things over many draws of the secret record keys:
the figures are shown (a dash protects nobody's trust in the numbers and helps no manager),
and the attacker's natural inference is *not* always right, so it is never a recovery they
can rely on. On per-answer suppression (the code before releases) every one of these attacks
was exact on every draw.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.engine import Engine

from bot.digests.narrative import TemplateNarrative
from bot.personal.forget import forget_person
from bot.teams import find_team, load_teams
from tests.privacy.world import (
    NOW,
    TRIALS,
    WEEK48,
    accepting,
    join,
    make_viewer,
    percent,
    person,
    publish,
    reroll,
    settings_for,
    shown,
    team,
    teamusage,
)

# Thursday to Sunday of week 48: inside both week 48 and the seven days to NOW, so the same
# attacks can be played against the code before releases (whose windows ended "today").
LATE48 = WEEK48[3:]


def attack_over_draws(
    engine: Engine, database_url: str, attempt: Callable[[], tuple[bool, bool]]
) -> tuple[int, int]:
    """Run `attempt` (-> figures shown, inference right) once per fresh set of record keys.

    Returns (draws where the inference was right, draws where the figures were shown). Counts
    are shown on every draw; a mean is hidden on the rare draw whose perturbed number of
    people falls below k, so at least three quarters of the draws must show the figures.
    """
    settings = settings_for(database_url)
    shown_count, right = 0, 0
    for _ in range(TRIALS):
        reroll(engine)
        publish(engine, settings)
        figures_shown, inference_right = attempt()
        shown_count += figures_shown
        right += figures_shown and inference_right
    assert shown_count >= TRIALS * 3 // 4, "the figures should be shown, perturbed, not hidden"
    return right, shown_count


def ten_regulars(engine: Engine, prefix: str) -> list[int]:
    """Ten people who used Copilot in week 48 and Cursor never."""
    return [person(engine, f"U{prefix}{n:02d}", {"copilot": LATE48[:3]}) for n in range(10)]


def test_overlapping_teams_differing_by_one_person(engine: Engine, database_url: str) -> None:
    """Two teams that differ by one person: subtract the Cursor counts to get theirs."""
    make_viewer(engine)
    squad = ten_regulars(engine, "OVL")
    target = person(engine, "U0TARGET", {"cursor": LATE48[:2], "copilot": LATE48[:2]})
    team(engine, "squad", squad)
    team(engine, "guild", [*squad, target])
    settings = settings_for(database_url)

    def attempt() -> tuple[bool, bool]:
        a = shown(teamusage(engine, settings, "squad 7d"), "*Cursor*")
        b = shown(teamusage(engine, settings, "guild 7d"), "*Cursor*")
        return a is not None and b is not None, a is not None and b is not None and b - a == 1

    right, trials = attack_over_draws(engine, database_url, attempt)
    assert right < trials


def test_parent_minus_children_gives_the_direct_member(engine: Engine, database_url: str) -> None:
    """A parent's roll-up minus its one child is the parent's direct member."""
    make_viewer(engine)
    child = ten_regulars(engine, "NST")
    target = person(engine, "U0TARGET", {"cursor": LATE48[:1]})
    team(engine, "child", child, parent="parent")
    join(engine, "parent", target)
    settings = settings_for(database_url)

    def attempt() -> tuple[bool, bool]:
        parent_cursor = shown(teamusage(engine, settings, "parent 7d"), "*Cursor*")
        child_cursor = shown(teamusage(engine, settings, "child 7d"), "*Cursor*")
        both = parent_cursor is not None and child_cursor is not None
        return both, both and parent_cursor - child_cursor == 1  # type: ignore[operator]

    right, trials = attack_over_draws(engine, database_url, attempt)
    assert right < trials


def test_a_child_too_small_to_show_is_not_recovered_from_its_parent(
    engine: Engine, database_url: str
) -> None:
    """Parent = a squad of 10 + a pair of 3 (too small): parent minus squad = the pair."""
    make_viewer(engine)
    squad = ten_regulars(engine, "SML")
    pair = [person(engine, f"U0PAIR{n}", {"cursor": LATE48[:1]}) for n in range(3)]
    team(engine, "squad", squad, parent="dept")
    team(engine, "pair", pair, parent="dept")
    settings = settings_for(database_url)
    publish(engine, settings)
    assert "fewer than 5 people" in teamusage(engine, settings, "pair 7d")

    def attempt() -> tuple[bool, bool]:
        dept = shown(teamusage(engine, settings, "dept 7d"), "*Cursor*")
        squad_cursor = shown(teamusage(engine, settings, "squad 7d"), "*Cursor*")
        both = dept is not None and squad_cursor is not None
        return both, both and dept - squad_cursor == 3  # type: ignore[operator]

    right, trials = attack_over_draws(engine, database_url, attempt)
    assert right < trials


def test_median_over_n_and_n_plus_one_gives_the_added_persons_rate(
    engine: Engine, database_url: str
) -> None:
    """Nine people, and the same plus one: 2·median₁₀ − median₉ (or 10·mean₁₀ − 9·mean₉).

    The target's rate lies between the 5th and 6th of the nine, where the median attack is exact.
    """
    make_viewer(engine)
    rates = (0.1, 0.2, 0.3, 0.35, 0.4, 0.7, 0.8, 0.85, 0.9)
    nine = [accepting(engine, f"U0MED{n}", rate) for n, rate in enumerate(rates)]
    target = accepting(engine, "U0TARGET", 0.5)
    team(engine, "nine", nine)
    team(engine, "ten", [*nine, target])
    settings = settings_for(database_url)

    def attempt() -> tuple[bool, bool]:
        r9 = percent(teamusage(engine, settings, "nine 7d"), "*Acceptance rate*")
        r10 = percent(teamusage(engine, settings, "ten 7d"), "*Acceptance rate*")
        if r9 is None or r10 is None:
            return False, False
        guesses = (2 * r10 - r9, 10 * r10 - 9 * r9)
        return True, any(abs(guess - 50) <= 1 for guess in guesses)

    right, trials = attack_over_draws(engine, database_url, attempt)
    assert right < trials


def test_hidden_tiers_are_not_pinned_by_the_ones_shown(engine: Engine, database_url: str) -> None:
    """A team of 8: five power users, one each light, regular, inactive.

    Hiding the three small tiers and showing "power 5" pins each hidden tier to exactly 1.
    """
    make_viewer(engine)
    month = [WEEK48[-1].replace(day=d) for d in range(6, 30)]  # in both 28-day windows
    power = [person(engine, f"U0PWR{n}", {"copilot": month[:20]}) for n in range(5)]
    light = person(engine, "U0LIGHT", {"copilot": month[:2]})
    regular = person(engine, "U0REG", {"copilot": month[:8]})
    inactive = person(engine, "U0INACT", {})
    team(engine, "eight", [*power, light, regular, inactive])
    settings = settings_for(database_url)

    def attempt() -> tuple[bool, bool]:
        text = teamusage(engine, settings, "eight 28d")
        tiers = {tier: shown(text, tier) for tier in ("light", "regular", "inactive", "power")}
        hidden = [tier for tier, value in tiers.items() if value is None]
        if hidden:  # the pinning inference: what the shown tiers leave, split evenly
            left = 8 - sum(value for value in tiers.values() if value is not None)
            guesses = {tier: left / len(hidden) for tier in hidden}
            return False, all(
                guesses.get(t, tiers[t]) == 1 for t in ("light", "regular", "inactive")
            )
        return True, all(tiers[t] == 1 for t in ("light", "regular", "inactive"))

    right, trials = attack_over_draws(engine, database_url, attempt)
    assert right < trials


def test_a_tool_row_does_not_appear_only_when_someone_used_it(
    engine: Engine, database_url: str
) -> None:
    """Cursor is set up (someone elsewhere uses it), nobody in the squad does: it is listed."""
    make_viewer(engine)
    squad = ten_regulars(engine, "PRS")
    elsewhere = person(engine, "U0ELSE", {"cursor": LATE48[:1]})
    team(engine, "squad", squad)
    team(engine, "other", [elsewhere])
    settings = settings_for(database_url)
    publish(engine, settings)
    text = teamusage(engine, settings, "squad 7d")
    assert "*Cursor*" in text and "*GitHub Copilot*" in text


def test_the_digest_and_teamusage_read_the_same_week(engine: Engine, database_url: str) -> None:
    """The digest's week (to yesterday) and `/teamusage 7d` (to today) once differed by a day.

    The target's only use is on the day the digest goes out: if the two surfaces covered
    different windows, their counts would differ by exactly that person.
    """
    from bot.digests.service import build_digest, digest_week  # here: the attack ran before it

    make_viewer(engine)
    squad = ten_regulars(engine, "WIN")
    target = person(engine, "U0TARGET", {"copilot": [NOW.date()]})
    team(engine, "squad", [*squad, target])
    settings = settings_for(database_url)
    publish(engine, settings)
    squad_ref = find_team(load_teams(engine), "squad")[0]
    digest = build_digest(
        engine, squad_ref, week=digest_week(NOW, "UTC"), now=NOW, narrative=TemplateNarrative()
    )
    assert digest is not None
    digest_active = shown(_text(digest.blocks), f"{squad_ref.name}:")  # the headline
    assert digest_active == shown(teamusage(engine, settings, "squad 7d"), "Active")
    # ... and the chart plots the very figure the text quotes.
    assert digest.trend[-1].active_share == digest.release.share("active")


def test_join_leave_and_forget_do_not_move_a_released_figure(
    engine: Engine, database_url: str
) -> None:
    """Figures before and after one person joins, or runs `/myusage forget`, must not differ."""
    make_viewer(engine)
    squad = ten_regulars(engine, "JLF")
    leaver = person(engine, "U0LEAVER", {"copilot": WEEK48})
    joiner = person(engine, "U0JOINER", {"copilot": WEEK48, "cursor": WEEK48})
    team(engine, "squad", [*squad, leaver])
    settings = settings_for(database_url)
    publish(engine, settings)
    before = {word: teamusage(engine, settings, f"squad {word}") for word in ("7d", "28d")}
    join(engine, "squad", joiner)
    forget_person(engine, leaver, actor="U0LEAVER", now=NOW)
    publish(engine, settings)  # the clock runs again: stored releases are final
    after = {word: teamusage(engine, settings, f"squad {word}") for word in ("7d", "28d")}
    assert after == before


def _text(blocks: list[dict[str, object]]) -> str:
    from bot.blocks.common import blocks_to_text

    return blocks_to_text(blocks)
