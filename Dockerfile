# syntax=docker/dockerfile:1
# Goodword's image: the wheel built from this repository, installed on a slim Python, run as a
# user without privileges. `docker compose up` (compose.yaml) runs it with PostgreSQL.

# ---- build: the wheel (templates, static files and migrations inside) ----------------------
FROM python:3.11-slim AS build
WORKDIR /src
RUN pip install --no-cache-dir build==1.6.1
COPY pyproject.toml README.md ./
COPY src ./src
RUN python -m build --wheel --outdir /dist .

# ---- run: the wheel only ------------------------------------------------------------------
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    GOODWORD_VAR_DIR=/var/lib/goodword \
    GOODWORD_HOST=0.0.0.0 \
    GOODWORD_PORT=8000
RUN groupadd --system --gid 10001 goodword \
    && useradd --system --uid 10001 --gid goodword --home-dir /var/lib/goodword \
       --no-create-home --shell /usr/sbin/nologin goodword \
    && mkdir -p /var/lib/goodword \
    && chown goodword:goodword /var/lib/goodword
COPY --from=build /dist/ /tmp/dist/
RUN pip install --no-cache-dir /tmp/dist/*.whl && rm -rf /tmp/dist
USER 10001:10001
WORKDIR /var/lib/goodword
VOLUME ["/var/lib/goodword"]
EXPOSE 8000
# Ready when the database answers (python, as the slim image has no curl).
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen(f\"http://127.0.0.1:{os.environ.get('GOODWORD_PORT', '8000')}/readyz\", timeout=2)"]
CMD ["goodword", "serve"]
