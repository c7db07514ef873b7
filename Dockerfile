# The Shouhu bot and its admin CLI. docker-compose.yml runs it next to PostgreSQL; see the README.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN useradd --create-home --uid 10001 shouhu
WORKDIR /app

COPY pyproject.toml README.md alembic.ini ./
COPY bot/ bot/
COPY alembic/ alembic/
COPY content/ content/

# Editable, so the package stays at /app/bot: settings and migrations find alembic.ini, alembic/ and content/
# next to it. No dev extras. data/ holds the development encryption key when SHOUHU_ENCRYPTION_KEYS is unset
# (compose keeps it in a volume), and the database only for an SQLite DATABASE_URL.
RUN pip install -e . \
    && mkdir -p /app/data \
    && chown shouhu:shouhu /app/data

USER shouhu

# Only used in webhook mode (`python -m bot run --webhook`); it also serves /healthz.
EXPOSE 8080

# Migrations on every start, then the bot; `exec` lets SIGTERM reach it for a clean stop.
CMD ["sh", "-c", "python -m bot db upgrade && exec python -m bot run"]
