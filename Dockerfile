# uchet in a container: gunicorn serving create_app(), or `uchet worker` / `uchet migrate`
# with another command. See docs/deploy.md ("Docker and compose") and compose.yaml.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# pg_dump/pg_restore for `uchet backup` on PostgreSQL. LibreOffice (PDF print forms) is
# large and optional: add `libreoffice-writer-nogui libreoffice-calc-nogui` here if needed.
RUN apt-get update \
    && apt-get install -y --no-install-recommends postgresql-client \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --create-home --home-dir /srv/uchet uchet

WORKDIR /src
COPY pyproject.toml README.md ./
COPY src ./src
RUN pip install ".[postgres,server]" && rm -rf /src

USER uchet
WORKDIR /srv/uchet
ENV UCHET_CONFIG=sample_crm \
    UCHET_PROXIES=1
EXPOSE 8000
# No --preload: each worker opens its own database connections after the fork.
CMD ["gunicorn", "--workers", "4", "--bind", "0.0.0.0:8000", "--access-logfile", "-", \
     "--timeout", "60", "uchet.web:create_app()"]
