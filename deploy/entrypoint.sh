#!/bin/sh
# The image's entry point. `web` and `worker` run the Procfile's line of that name, exactly as `make demo`
# (honcho) does, so the container and the Procfile cannot disagree; anything else runs as given
# (`docker compose run --rm web python manage.py migrate`).
set -eu
procfile="${PROCFILE:-$(dirname "$0")/../Procfile}"
case "${1:-web}" in
  web | worker)
    line=$(sed -n "s/^$1:[[:space:]]*//p" "$procfile")
    if [ -z "$line" ]; then
      echo "No '$1' process in $procfile" >&2
      exit 64
    fi
    # The line is the Procfile's (${PORT:-8000} and the like expand here); exec: gunicorn or the consumer
    # becomes the container's process and receives its stop signal.
    exec /bin/sh -c "exec $line"
    ;;
  *)
    exec "$@"
    ;;
esac
