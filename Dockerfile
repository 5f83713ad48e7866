# syntax=docker/dockerfile:1
# StudentFlow's image: `docker compose up` (compose.yaml) builds it; the README's "Deploying" walks through it.
# Stages: `build` makes the wheels; `app` is the slim runtime (non-root, WeasyPrint's libraries, translations
# compiled, static files collected) that runs a Procfile process; `nginx` is Debian's nginx with the collected
# static files and deploy/nginx.conf; the last stage (`web`, the default target) is the app.
# tests/deploy/test_container_files.py keeps this file consistent with the Procfile, the settings, pyproject.toml
# and the Makefile's system packages (no image is built in CI: no registry or Docker daemon there).

ARG PYTHON_VERSION=3.12
ARG DEBIAN_RELEASE=bookworm

FROM python:${PYTHON_VERSION}-slim-${DEBIAN_RELEASE} AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
# A compiler only for a dependency without a wheel for this platform; it never reaches the runtime image.
RUN apt-get update \
 && apt-get install -y --no-install-recommends build-essential \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY pyproject.toml README.md ./
RUN pip wheel --wheel-dir /wheels .

FROM python:${PYTHON_VERSION}-slim-${DEBIAN_RELEASE} AS app
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=portal.settings.production \
    STUDENTFLOW_VAR_DIR=/srv/studentflow/var \
    MEDIA_ROOT=/srv/studentflow/media \
    STATIC_ROOT=/srv/studentflow/static \
    BACKUP_DIR=/srv/studentflow/backups \
    PORT=8000
# WeasyPrint (report cards, statements) lays out text with Pango and subsets fonts with HarfBuzz; DejaVu is
# the fallback font when a card's font is not installed. The same Pango packages as `make system-deps`.
# postgresql-client: `manage.py backup` / `restore` run pg_dump and pg_restore (Debian's 15, the same major
# version as compose.yaml's server: pg_dump refuses a newer server).
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core postgresql-client \
 && rm -rf /var/lib/apt/lists/*
RUN --mount=type=bind,from=build,source=/wheels,target=/wheels \
    pip install --no-cache-dir --no-index --find-links=/wheels studentflow
RUN groupadd --system --gid 10001 studentflow \
 && useradd --system --uid 10001 --gid studentflow --home-dir /srv/studentflow --shell /usr/sbin/nologin studentflow \
 && mkdir -p /srv/studentflow/var /srv/studentflow/media /srv/studentflow/static /srv/studentflow/backups \
 && chown -R studentflow:studentflow /srv/studentflow/var /srv/studentflow/media /srv/studentflow/backups
WORKDIR /app
COPY . .
# Translations compiled (pure Python, no GNU gettext) and static files collected once, at build: hashed,
# compressed names that nginx and WhiteNoise serve with a year's cache. The production settings refuse to
# load without a secret and hosts; these two exist only for this step.
RUN python manage.py compile_translations \
 && SECRET_KEY=collectstatic-at-build-only ALLOWED_HOSTS=build.invalid \
    python manage.py collectstatic --noinput --verbosity 0 \
 && chmod 0755 deploy/entrypoint.sh
USER studentflow:studentflow
EXPOSE 8000
# /health/ checks the database, the cache, the queue, that a worker ran in the last few minutes and that the
# mail server answers; deploy/healthcheck.py asks it as nginx would (an allowed host, over "https").
HEALTHCHECK --interval=30s --timeout=10s --start-period=60s --retries=3 \
  CMD ["python", "deploy/healthcheck.py", "web"]
ENTRYPOINT ["/app/deploy/entrypoint.sh"]
CMD ["web"]

FROM debian:${DEBIAN_RELEASE}-slim AS nginx
RUN apt-get update \
 && apt-get install -y --no-install-recommends nginx \
 && rm -rf /var/lib/apt/lists/* \
 && ln -sf /dev/stdout /var/log/nginx/access.log \
 && ln -sf /dev/stderr /var/log/nginx/error.log
COPY deploy/nginx.conf /etc/nginx/nginx.conf
COPY --from=app /srv/studentflow/static /srv/studentflow/static
EXPOSE 80 443
# nginx's master process binds ports 80 and 443 as root, then its workers run as www-data (nginx.conf).
STOPSIGNAL SIGQUIT
CMD ["nginx", "-g", "daemon off;"]

FROM app AS web
USER studentflow:studentflow
