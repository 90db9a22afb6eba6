"""Tips: preferences, who is due, planning at a sensible local time, sending, feedback.

Nobody is ever sent a tip they did not ask for: every path that sends one starts from a
preference the person set (`/aitips on`, the Home tab, the "Get tips" button) or from their
own `/aitips now`.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from sqlalchemy.engine import Engine

from bot.adoption import Tier, TierThresholds, UsageSummary, summarize_usage
from bot.blocks.tips import keep_sending_blocks, tip_message_blocks
from bot.local_time import SendWindow, local_week, next_send_time, zone
from bot.outbox import enqueue
from bot.tips.library import TipLibrary
from bot.tips.llm import TipAggregates, TipWriter
from bot.tips.selection import Choice, PastTip, find_gaps, select_tip
from bot.tools import tool_label
from storage import queries, tips
from storage.engine import session as open_session
from storage.models import TipPreference

logger = logging.getLogger(__name__)

FREQUENCY_DAYS = {"weekly": 7, "fortnightly": 14, "monthly": 28}
SNOOZE_WEEKS = (1, 2, 4)
UNANSWERED_BEFORE_ASKING = 3
ASK_GRACE = dt.timedelta(days=7)
WINDOW = SendWindow()


@dataclass(frozen=True, slots=True)
class TipSettings:
    """A person's tip settings, as shown to them."""

    enabled: bool
    frequency: str
    snoozed_until: dt.date | None
    paused: bool
    any_tier: bool


def _settings(preference: TipPreference) -> TipSettings:
    return TipSettings(
        preference.enabled,
        preference.frequency,
        preference.snoozed_until,
        preference.paused,
        preference.any_tier,
    )


def tip_settings(engine: Engine, person_id: int) -> TipSettings:
    """The person's current tip settings (off by default)."""
    with open_session(engine) as session:
        return _settings(tips.tip_preference(session, person_id))


def change_tips(
    engine: Engine,
    person_id: int,
    *,
    now: dt.datetime,
    enabled: bool | None = None,
    frequency: str | None = None,
    snooze_weeks: int | None = None,
    tier: Tier | None = None,
) -> TipSettings:
    """Change the person's own tip settings and return them."""
    if frequency is not None and frequency not in FREQUENCY_DAYS:
        raise ValueError(f"frequency must be one of {', '.join(FREQUENCY_DAYS)}")
    if snooze_weeks is not None and snooze_weeks not in SNOOZE_WEEKS:
        raise ValueError("snooze is 1, 2 or 4 weeks")
    with open_session(engine) as session:
        preference = tips.tip_preference(session, person_id)
        if enabled is not None:
            preference.enabled = enabled
            preference.paused = False
            preference.asked_to_continue_at = None
            if enabled:
                preference.snoozed_until = None
                # Asking for tips while already past light means "whatever my tier".
                preference.any_tier = tier in (Tier.REGULAR, Tier.POWER) or preference.any_tier
        if frequency is not None:
            preference.frequency = frequency
        if snooze_weeks is not None:
            preference.snoozed_until = now.date() + dt.timedelta(weeks=snooze_weeks)
        preference.updated_at = now
        session.add(preference)
        session.commit()
        return _settings(preference)


def _summaries(
    engine: Engine, person_id: int, tz: str, now: dt.datetime, thresholds: TierThresholds
) -> tuple[UsageSummary, UsageSummary]:
    today = now.astimezone(zone(tz)).date()
    recent = summarize_usage(engine, person_id, window_days=28, today=today, thresholds=thresholds)
    longer = summarize_usage(engine, person_id, window_days=90, today=today, thresholds=thresholds)
    return recent, longer


def _aggregates(recent: UsageSummary, longer: UsageSummary) -> TipAggregates:
    """What the LLM may see: the person's own figures, no name, email, id or team."""
    shown = sum(t.generations for t in recent.tools)
    accepted = sum(t.acceptances for t in recent.tools)
    return TipAggregates(
        tier=recent.tier.value,
        active_days_28=recent.tier_active_days,
        tools_used=tuple(sorted(tool_label(t.tool) for t in recent.tools if t.active_days)),
        acceptance_rate=(accepted / shown) if shown else None,
        features_used=tuple(sorted({f for t in longer.tools for f in t.features})),
    )


@dataclass(frozen=True, slots=True)
class PlannedTip:
    """A tip written to the outbox for a person."""

    delivery_id: int
    outbox_key: str
    tip_id: str
    send_at: dt.datetime


def plan_tip_for(
    engine: Engine,
    *,
    person_id: int,
    slack_user_id: str,
    tz: str,
    library: TipLibrary,
    writer: TipWriter,
    thresholds: TierThresholds,
    now: dt.datetime,
    immediately: bool = False,
    any_tier: bool = False,
) -> PlannedTip | None:
    """Choose the person's next tip and put it in the outbox for its send time."""
    recent, longer = _summaries(engine, person_id, tz, now, thresholds)
    with open_session(engine) as session:
        history = [
            PastTip(d.tip_id, d.scheduled_for.date(), d.feedback)
            for d in tips.tip_history(session, person_id)
        ]
    send_at = now if immediately else next_send_time(WINDOW, tz, after=now, slot_key=slack_user_id)
    local_day = send_at.astimezone(zone(tz)).date()
    choice = select_tip(
        library,
        find_gaps(recent, longer),
        history,
        day=local_day,
        person_key=slack_user_id,
        regardless_of_tier=any_tier or immediately,
    )
    if choice is None:
        return None
    year, week = local_week(send_at, tz)
    period = f"{year}-W{week:02d}" if not immediately else f"now-{send_at:%Y%m%d%H%M}"
    key = f"tip:{person_id}:{choice.tip.id}:{period}"
    text = writer.reword(choice.tip.text, choice.tip.link, _aggregates(recent, longer))
    with open_session(engine) as session:
        delivery_id = tips.add_tip_delivery(
            session,
            {
                "person_id": person_id,
                "tip_id": choice.tip.id,
                "library_version": library.version,
                "period": period,
                "reason": choice.reason,
                "scheduled_for": send_at,
                "outbox_key": key,
                "reworded": text != choice.tip.text,
            },
        )
        session.commit()
    if delivery_id is None:
        return None  # planned already (a second clock, or a re-run): nothing more to do
    label = " and ".join(tool_label(tool) for tool in choice.tip.tools)
    enqueue(
        engine,
        key=key,
        kind="tip",
        channel=slack_user_id,
        text=f"A tip for {label}: {text}",
        blocks=tip_message_blocks(text, choice.tip.link, label, delivery_id, library.version),
        person_id=person_id,
        now=now,
        not_before=send_at,
        expires_at=None if immediately else send_at + dt.timedelta(hours=1),
    )
    return PlannedTip(delivery_id, key, choice.tip.id, send_at)


def preview_tip(
    engine: Engine,
    *,
    person_id: int,
    slack_user_id: str,
    tz: str,
    library: TipLibrary,
    thresholds: TierThresholds,
    now: dt.datetime,
) -> Choice | None:
    """The tip the person would get next, without planning or sending anything."""
    recent, longer = _summaries(engine, person_id, tz, now, thresholds)
    with open_session(engine) as session:
        history = [
            PastTip(d.tip_id, d.scheduled_for.date(), d.feedback)
            for d in tips.tip_history(session, person_id)
        ]
    return select_tip(
        library,
        find_gaps(recent, longer),
        history,
        day=now.astimezone(zone(tz)).date(),
        person_key=slack_user_id,
        regardless_of_tier=True,
    )


def _unanswered_streak(history: list[tuple[dt.datetime, str | None, bool]]) -> int:
    """How many of the newest sent tips in a row got no reaction."""
    streak = 0
    for _, feedback, sent in history:
        if not sent:
            continue
        if feedback is not None:
            break
        streak += 1
    return streak


def plan_tips(
    *,
    engine: Engine,
    library: TipLibrary,
    writer: TipWriter,
    thresholds: TierThresholds,
    now: dt.datetime,
) -> int:
    """The daily job: plan a tip for everyone who opted in and is due. Safe to re-run."""
    planned = 0
    with open_session(engine) as session:
        people = tips.tip_people(session)
    for preference, slack_user_id, tz in people:
        person_id = preference.person_id
        today = now.astimezone(zone(tz)).date()
        if preference.paused or (preference.snoozed_until and preference.snoozed_until > today):
            continue
        with open_session(engine) as session:
            deliveries = tips.tip_history(session, person_id)
            states = queries.outbox_states([d.outbox_key for d in deliveries], session=session)
        live = [d for d in deliveries if states.get(d.outbox_key) in {"pending", "sending", "sent"}]
        if any(states.get(d.outbox_key) in {"pending", "sending"} for d in live):
            continue  # one is already on its way
        last = live[0].scheduled_for if live else None
        if last and now - last < dt.timedelta(days=FREQUENCY_DAYS[preference.frequency]):
            continue
        streak = _unanswered_streak(
            [(d.scheduled_for, d.feedback, states.get(d.outbox_key) == "sent") for d in live]
        )
        if preference.asked_to_continue_at is not None:
            if now - preference.asked_to_continue_at >= ASK_GRACE:
                _pause(engine, person_id, now)
            continue
        if streak >= UNANSWERED_BEFORE_ASKING:
            _ask_to_continue(engine, person_id, slack_user_id, tz, now)
            continue
        try:
            result = plan_tip_for(
                engine,
                person_id=person_id,
                slack_user_id=slack_user_id,
                tz=tz,
                library=library,
                writer=writer,
                thresholds=thresholds,
                now=now,
                any_tier=preference.any_tier,
            )
        except Exception:  # one person's failure must not stop everyone else's tips
            logger.exception("planning a tip failed for one person")
            continue
        planned += result is not None
    logger.info("tips: planned %d", planned)
    return planned


def _ask_to_continue(
    engine: Engine, person_id: int, slack_user_id: str, tz: str, now: dt.datetime
) -> None:
    send_at = next_send_time(WINDOW, tz, after=now, slot_key=slack_user_id)
    with open_session(engine) as session:
        preference = tips.tip_preference(session, person_id)
        preference.asked_to_continue_at = now
        session.add(preference)
        session.commit()
    enqueue(
        engine,
        key=f"tips-continue:{person_id}:{now:%Y%m%d}",
        kind="tip_question",
        channel=slack_user_id,
        text="Still want tips from Uptake?",
        blocks=keep_sending_blocks(),
        person_id=person_id,
        now=now,
        not_before=send_at,
    )


def _pause(engine: Engine, person_id: int, now: dt.datetime) -> None:
    with open_session(engine) as session:
        preference = tips.tip_preference(session, person_id)
        preference.paused = True
        preference.asked_to_continue_at = None
        preference.updated_at = now
        session.add(preference)
        session.commit()


def keep_sending(engine: Engine, person_id: int, now: dt.datetime) -> None:
    """The person answered "keep sending": the streak starts again."""
    with open_session(engine) as session:
        preference = tips.tip_preference(session, person_id)
        preference.asked_to_continue_at = None
        preference.paused = False
        preference.updated_at = now
        session.add(preference)
        for delivery in tips.tip_history(session, person_id)[:UNANSWERED_BEFORE_ASKING]:
            if delivery.feedback is None:
                delivery.feedback = "seen"
                delivery.feedback_at = now
                session.add(delivery)
        session.commit()


FEEDBACK = {"helpful", "not_for_me", "snooze", "stop"}


def record_feedback(
    engine: Engine, delivery_id: int, person_id: int, feedback: str, now: dt.datetime
) -> bool:
    """Store a reaction to one's own tip (and apply snooze or stop); False if not theirs."""
    if feedback not in FEEDBACK:
        raise ValueError(feedback)
    with open_session(engine) as session:
        delivery = tips.tip_delivery(session, delivery_id)
        if delivery is None or delivery.person_id != person_id:
            return False
        delivery.feedback = feedback
        delivery.feedback_at = now
        session.add(delivery)
        preference = tips.tip_preference(session, person_id)
        preference.asked_to_continue_at = None
        if feedback == "snooze":
            preference.snoozed_until = now.date() + dt.timedelta(weeks=2)
        if feedback == "stop":
            preference.enabled = False
        preference.updated_at = now
        session.add(preference)
        session.commit()
    return True
