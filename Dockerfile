# Throughline's production image: the web server, the Celery worker and beat all run from it
# (see docker-compose.yml). Debian 12, like the machines the test suite runs on.
FROM python:3.12-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# Pango and HarfBuzz for WeasyPrint (PDF exports), with the DejaVu fonts.
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*

RUN useradd --system --uid 10001 --create-home --home-dir /home/throughline throughline

WORKDIR /app

# The dependencies first, so that a change of code does not reinstall them.
COPY pyproject.toml README.md ./
RUN pip install .

COPY . .

# Static files are part of the image; the throwaway key only lets the settings load for this step.
RUN SECRET_KEY=collectstatic-only-not-used-at-run-time DEBUG=False ENV_FILE=/dev/null \
        python manage.py collectstatic --noinput \
    && mkdir -p var \
    && chown throughline:throughline var

USER throughline
EXPOSE 8000

# Several processes per container: WEB_CONCURRENCY (uvicorn reads it). The TLS proxy in front sets
# X-Forwarded-Proto/-For; the port is published on 127.0.0.1 only, so only that proxy reaches it. Django
# reads those headers (BEHIND_TLS_PROXY, TRUSTED_PROXY_COUNT), not uvicorn: --no-proxy-headers.
CMD ["uvicorn", "config.asgi:application", "--host", "0.0.0.0", "--port", "8000", \
     "--no-proxy-headers", "--no-server-header", "--timeout-graceful-shutdown", "20"]
