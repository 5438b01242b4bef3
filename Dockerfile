# The bot in a container: `docker build -t als .` then see compose.yaml for several instances.
# Installs from constraints.txt (the same pinned versions as `make run`), runs as a non-root user,
# and reports healthy once /readyz answers (the database is reachable).
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml constraints.txt README.md ./
COPY bot ./bot
COPY cards ./cards
COPY graph ./graph
COPY manifest ./manifest
RUN python -m venv /opt/als \
    && /opt/als/bin/pip install --no-cache-dir --disable-pip-version-check -c constraints.txt .

FROM python:3.11-slim
RUN useradd --create-home --uid 10001 als
COPY --from=build /opt/als /opt/als
ENV PATH=/opt/als/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    HOST=0.0.0.0 \
    PORT=3978 \
    LOG_FORMAT=json
USER als
WORKDIR /home/als
EXPOSE 3978
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen(f\"http://127.0.0.1:{os.environ.get('PORT', '3978')}/readyz\", timeout=2)"]
# `als serve` applies migrations first; two instances starting together take turns on a lock.
CMD ["als", "serve"]
