# syntax=docker/dockerfile:1
# One image for every Procfile process: `docker run IMAGE web|worker|clock|release`, or any
# `uptake` command (`docker run IMAGE db history`). Dependencies come only from
# requirements.lock, every file checked against its hash.
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS builder
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
WORKDIR /src
RUN python -m venv /opt/venv
COPY requirements.lock ./
RUN /opt/venv/bin/python -m pip install --require-hashes --only-binary :all: -r requirements.lock
COPY pyproject.toml README.md LICENSE ./
COPY bot ./bot
COPY handlers ./handlers
COPY storage ./storage
RUN /opt/venv/bin/python -m pip install --no-deps --no-build-isolation .

FROM ${PYTHON_IMAGE} AS runtime
LABEL org.opencontainers.image.title="Uptake" \
      org.opencontainers.image.licenses="Apache-2.0"
# tini as PID 1 passes SIGTERM on to Uptake and reaps children, so `docker stop` is clean.
RUN apt-get update \
    && apt-get install --yes --no-install-recommends tini \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --create-home --uid 10001 --shell /usr/sbin/nologin uptake
COPY --from=builder /opt/venv /opt/venv
COPY Procfile /app/Procfile
COPY --chmod=0755 scripts/container-entrypoint /app/entrypoint
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PORT=3000
# The code is root's and read-only; the home folder is the only place Uptake can write
# (matplotlib's font cache, the demo's SQLite file and previews).
USER uptake
WORKDIR /home/uptake
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=10s --start-period=30s --retries=3 \
    CMD ["uptake", "health"]
ENTRYPOINT ["tini", "--", "/app/entrypoint"]
CMD ["web"]
