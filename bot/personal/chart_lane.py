"""Drawing and uploading people's own trend charts without slowing anyone's answer.

`/myusage` answers with its figures at once; the chart follows. Drawing one costs about 0.16 s of
CPU, so it is never done on the threads that answer Slack: one background thread draws charts
one at a time, waiting until the answering pool has been idle for a moment (or at most
`max_wait_seconds`), uploads the PNG privately and replaces the person's ephemeral answer
(through its `response_url`) with the same answer plus the chart; the Home tab, which has no
`response_url`, is published again with it.

Each person's newest uploaded chart is remembered by the hash of what it draws, so asking again
the same day (or for another window) shows the chart in the first answer, with nothing drawn or
uploaded. A person's older chart file is deleted from Slack when a new one replaces it, and
`forget` deletes it with the rest of their data. The memory is per process; the backlog is
bounded, and a chart that does not fit is skipped (the figures were already answered).
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.webhook import WebhookClient

from bot.blocks.common import Block
from bot.blocks.myusage import ChartImage
from bot.charts import trend_chart_png
from bot.personal.chart import PersonalChart
from bot.slack_files import upload_private_image

logger = logging.getLogger(__name__)

#: Charts waiting to be drawn; past this a chart is skipped.
BACKLOG = 200
#: People whose newest chart file is remembered (about 200 bytes each).
REMEMBERED_PEOPLE = 20_000
#: Charts wait for the answering pool to have been idle this long (at most MAX_WAIT_SECONDS).
QUIET_SECONDS = 1.0
MAX_WAIT_SECONDS = 10.0
#: The drawing thread ends after this long with nothing queued, and starts again when needed.
IDLE_EXIT_SECONDS = 5.0
#: How long a forgotten person's id keeps a late chart from being uploaded.
FORGET_SECONDS = 600.0
POLL_SECONDS = 0.05
RESPONSE_TIMEOUT_SECONDS = 5
#: Slack may not show a just-uploaded file yet; the replacement is tried once more after this.
RETRY_AFTER_SECONDS = 1.0


@dataclass(frozen=True, slots=True)
class FollowUp:
    """An answer to complete with its chart."""

    chart: PersonalChart
    client: WebClient
    response_url: str
    render: Callable[[ChartImage], list[Block]]
    text: str
    #: Where the finished blocks go instead of a `response_url` (the Home tab publishes them).
    deliver: Callable[[list[Block]], None] | None = None


class PersonalCharts:
    """Each person's chart file, and the one thread that draws and uploads new ones."""

    def __init__(
        self,
        *,
        backlog: int = BACKLOG,
        quiet_seconds: float = QUIET_SECONDS,
        max_wait_seconds: float = MAX_WAIT_SECONDS,
    ) -> None:
        self.quiet_seconds = quiet_seconds
        self.max_wait_seconds = max_wait_seconds
        self._busy: Callable[[], bool] = lambda: False
        self._closed: Callable[[], bool] = lambda: False
        self._files: OrderedDict[int, tuple[str, str]] = OrderedDict()  # person -> digest, file
        self._client: WebClient | None = None
        self._lock = threading.Lock()
        self._jobs: queue.Queue[FollowUp] = queue.Queue(maxsize=backlog)
        self._thread: threading.Thread | None = None
        self._working = 0
        # People who asked to be forgotten while charts were queued: theirs are not uploaded.
        # Forgotten people (with when): an answer computed just before a `forget` may queue
        # its chart just after it, so they are remembered for a while, working or not.
        self._forgotten: dict[int, float] = {}

    def watch(self, busy: Callable[[], bool], closed: Callable[[], bool]) -> None:
        """Draw only while `busy()` has been false for `quiet_seconds`, and nothing once
        `closed()` (the answering pool: charts give way to answers, and end with them)."""
        self._busy = busy
        self._closed = closed

    def image_for(self, chart: PersonalChart) -> ChartImage | None:
        """The uploaded file showing exactly this chart, if there is one."""
        with self._lock:
            known = self._files.get(chart.person_id)
            if known is None or known[0] != chart.digest:
                return None
            self._files.move_to_end(chart.person_id)
            return ChartImage(known[1], chart.alt_text)

    def follow_up(
        self,
        chart: PersonalChart,
        *,
        client: WebClient,
        response_url: str,
        render: Callable[[ChartImage], list[Block]],
        text: str,
    ) -> bool:
        """Queue drawing `chart` and replacing the answer with `render(chart)`; False if the
        backlog is full."""
        return self._queue(FollowUp(chart, client, response_url, render, text))

    def follow_up_view(
        self,
        chart: PersonalChart,
        *,
        client: WebClient,
        render: Callable[[ChartImage], list[Block]],
        deliver: Callable[[list[Block]], None],
    ) -> bool:
        """Queue drawing `chart`, then hand `render(chart)` to `deliver` (a view has no
        `response_url`: the Home tab publishes itself again); False if the backlog is full."""
        return self._queue(FollowUp(chart, client, "", render, "", deliver))

    def _queue(self, job: FollowUp) -> bool:
        try:
            with self._lock:
                self._jobs.put_nowait(job)
                self._working += 1
                self._client = job.client
                if self._thread is None:
                    self._thread = threading.Thread(
                        target=self._run, name="uptake-charts", daemon=True
                    )
                    self._thread.start()
        except queue.Full:
            logger.warning("chart backlog full: an answer goes without its chart")
            return False
        return True

    def forget(self, person_id: int) -> None:
        """Delete the person's chart file from Slack and forget it."""
        with self._lock:
            known = self._files.pop(person_id, None)
            client = self._client
            now = time.monotonic()
            self._forgotten = {
                person: at for person, at in self._forgotten.items() if now - at < FORGET_SECONDS
            }
            self._forgotten[person_id] = now
        if known is not None and client is not None:
            _delete_file(client, known[1])

    def idle(self, timeout: float) -> bool:
        """Wait until every queued chart is done (or skipped); False on timeout."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if self._working == 0:
                    return True
            time.sleep(POLL_SECONDS)
        return False

    def _run(self) -> None:
        """Draw queued charts one at a time; end after IDLE_EXIT_SECONDS with nothing to do."""
        while True:
            try:
                job = self._jobs.get(timeout=IDLE_EXIT_SECONDS)
            except queue.Empty:
                with self._lock:
                    if self._jobs.empty():
                        self._thread = None
                        return
                continue
            try:
                if self._wait_for_quiet():
                    self._complete(job)
            except Exception as exc:  # a chart is a nicety: the figures were answered already
                # One line (Slack unreachable is not news twice); the detail at DEBUG.
                logger.warning(
                    "could not add the trend chart to an answer (%s)", type(exc).__name__
                )
                logger.debug("the chart's failure in full", exc_info=True)
            finally:
                with self._lock:
                    self._working -= 1

    def _wait_for_quiet(self) -> bool:
        """Give way to answers: wait until nothing has been answered for a moment (at most
        `max_wait_seconds`); False if the answering pool has closed meanwhile."""
        started = time.monotonic()
        quiet_since: float | None = None
        while not self._closed():
            now = time.monotonic()
            if self._busy():
                quiet_since = None
            elif quiet_since is None:
                quiet_since = now
            if quiet_since is not None and now - quiet_since >= self.quiet_seconds:
                return True
            if now - started >= self.max_wait_seconds:
                return True
            time.sleep(POLL_SECONDS)
        return False

    def _complete(self, job: FollowUp) -> None:
        with self._lock:
            if job.chart.person_id in self._forgotten:
                return
        image = self.image_for(job.chart) or self._upload(job)
        if image is None:
            return
        blocks = job.render(image)
        if job.deliver is not None:
            job.deliver(blocks)
            return
        webhook = WebhookClient(job.response_url, timeout=RESPONSE_TIMEOUT_SECONDS)
        for attempt in range(2):
            response = webhook.send(
                text=job.text, blocks=blocks, response_type="ephemeral", replace_original=True
            )
            if response.status_code == 200:
                return
            if attempt == 0:
                time.sleep(RETRY_AFTER_SECONDS)
        logger.warning("Slack refused the answer with its chart (HTTP %d)", response.status_code)

    def _upload(self, job: FollowUp) -> ChartImage | None:
        """Draw and upload the chart; None if the person was forgotten meanwhile."""
        chart = job.chart
        png = trend_chart_png(chart.points, title=chart.title)
        file_id = upload_private_image(
            job.client, png, filename=chart.filename, title=chart.title, alt_text=chart.alt_text
        )
        replaced: tuple[str, str] | None
        with self._lock:
            if chart.person_id in self._forgotten:
                replaced, file_id = (chart.digest, file_id), ""
            else:
                replaced = self._files.pop(chart.person_id, None)
                self._files[chart.person_id] = (chart.digest, file_id)
            while len(self._files) > REMEMBERED_PEOPLE:
                self._files.popitem(last=False)
        if replaced is not None and replaced[1] != file_id:
            _delete_file(job.client, replaced[1])
        return ChartImage(file_id, chart.alt_text) if file_id else None


def _delete_file(client: WebClient, file_id: str) -> None:
    """Best effort: a file left behind is only the bot's own, shared with nobody."""
    try:
        client.files_delete(file=file_id)
    except SlackApiError as error:
        logger.warning("could not delete a chart file: %s", error.response.get("error"))
