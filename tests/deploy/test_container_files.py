"""The container files agree with the code they package: no registry or Docker daemon is reachable here, so
the image is never built in CI. What can drift is checked instead: the settings' environment variables and
.env.example, the Procfile and what the image and compose.yaml run, the Python version, the health check's
path, nginx's upstream port and body limit (and `nginx -t`), WeasyPrint's system packages, and the habits a
Dockerfile linter (hadolint) enforces."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "Dockerfile"
COMPOSE = ROOT / "compose.yaml"
NGINX_CONF = ROOT / "deploy" / "nginx.conf"
ENTRYPOINT = ROOT / "deploy" / "entrypoint.sh"
# The settings modules a deployment loads (base through production); development reads DEBUG as well.
DEPLOYED_SETTINGS = ["portal.settings.base", "portal.settings.production", "portal.settings.development"]


# --- parsing helpers -----------------------------------------------------------------------------------


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) per instruction, continuation lines joined, comments dropped."""
    instructions, current = [], ""
    for raw in DOCKERFILE.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not current and (not line or line.startswith("#")):
            continue
        if line.startswith("#"):
            continue
        current += " " + line.removesuffix("\\").strip() if current else line.removesuffix("\\").strip()
        if not line.endswith("\\"):
            keyword, _, rest = current.partition(" ")
            instructions.append((keyword.upper(), rest.strip()))
            current = ""
    return instructions


def dockerfile_stages() -> dict[str, list[tuple[str, str]]]:
    stages: dict[str, list[tuple[str, str]]] = {}
    name = None
    for keyword, rest in dockerfile_instructions():
        if keyword == "FROM":
            name = rest.split()[-1] if " AS " in rest.upper() else rest
            stages[name] = [(keyword, rest)]
        elif name is not None:
            stages[name].append((keyword, rest))
    return stages


def dockerfile_args() -> dict[str, str]:
    return dict(
        rest.split("=", 1) for keyword, rest in dockerfile_instructions() if keyword == "ARG" and "=" in rest
    )


def procfile() -> dict[str, str]:
    processes = {}
    for line in (ROOT / "Procfile").read_text(encoding="utf-8").splitlines():
        name, _, command = line.partition(":")
        if command:
            processes[name.strip()] = command.strip()
    return processes


def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))


def env_example() -> dict[str, str]:
    values = {}
    for line in (ROOT / ".env.example").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, value = line.partition("=")
            values[name.strip()] = value.strip()
    return values


def settings_environment_reads() -> set[str]:
    """Every environment variable the deployed settings modules read, found by loading them (in a child
    process, so this test's Django keeps its settings) with os.environ replaced by a recording mapping: a
    name read through env_str() and friends, os.environ.get() or built in an f-string is caught alike."""
    script = textwrap.dedent(
        f"""
        import importlib, os, sys

        class Recording(dict):
            seen = set()
            def get(self, key, default=None):
                self.seen.add(key)
                return super().get(key, default)
            def __getitem__(self, key):
                self.seen.add(key)
                return super().__getitem__(key)
            def __contains__(self, key):
                self.seen.add(key)
                return super().__contains__(key)

        real = dict(os.environ)
        real.update({{"SECRET_KEY": "s" * 50, "ALLOWED_HOSTS": "school.example"}})
        for extra in ({{}}, {{"REDIS_URL": "redis://redis:6379/0",
                             "DATABASE_URL": "postgres://u:p@db:5432/sf"}}):
            os.environ = Recording({{**real, **extra}})
            for name in [m for m in list(sys.modules) if m.startswith("portal.settings")]:
                del sys.modules[name]
            for module in {DEPLOYED_SETTINGS!r}:
                importlib.import_module(module)
        print("\\n".join(sorted(Recording.seen)))
        """
    )
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    return set(result.stdout.split())


def nginx_directive(text: str, name: str) -> list[str]:
    return re.findall(rf"^\s*{name}\s+([^;]+);", text, flags=re.MULTILINE)


# --- environment ---------------------------------------------------------------------------------------


def test_it_documents_every_variable_the_settings_read_in_env_example():
    read = settings_environment_reads()
    # The recorder saw the reads (a broken recorder would find nothing and pass anything).
    assert {"SECRET_KEY", "DATABASE_URL", "REDIS_URL", "STUDENTFLOW_RATE_LIMIT_EXPORT"} <= read
    missing = sorted(read - set(env_example()))
    assert not missing, f".env.example does not document {missing}"


def test_it_documents_every_variable_compose_interpolates():
    text = COMPOSE.read_text(encoding="utf-8")
    interpolated = set(re.findall(r"\$\{([A-Z_][A-Z0-9_]*)", text))
    assert "POSTGRES_PASSWORD" in interpolated
    assert not interpolated - set(env_example())


def test_it_sets_the_same_paths_in_the_image_as_env_example():
    image_env = {}
    for keyword, rest in dockerfile_stages()["app"]:
        if keyword == "ENV":
            image_env.update(pair.split("=", 1) for pair in shlex.split(rest))
    example = env_example()
    for name in (
        "DJANGO_SETTINGS_MODULE",
        "STUDENTFLOW_VAR_DIR",
        "MEDIA_ROOT",
        "STATIC_ROOT",
        "PORT",
        "BACKUP_DIR",
    ):
        assert image_env[name] == example[name], name


# --- processes -----------------------------------------------------------------------------------------


def test_it_runs_the_procfile_processes_in_compose():
    services = compose()["services"]
    assert set(procfile()) == {"web", "worker"}
    for process in procfile():
        assert services[process]["command"] == [process]
    stages = dockerfile_stages()
    assert ("ENTRYPOINT", '["/app/deploy/entrypoint.sh"]') in stages["app"]
    # /app is where the code is copied (WORKDIR), and the script is executable there.
    assert ("WORKDIR", "/app") in stages["app"]
    assert os.access(ENTRYPOINT, os.X_OK)
    assert ("CMD", '["web"]') in stages["app"]


@pytest.mark.parametrize("process", ["web", "worker"])
def test_it_runs_exactly_the_procfile_line_from_the_entrypoint(tmp_path, process):
    """The entrypoint is run for real, with gunicorn and python replaced by programs printing their
    arguments: what it starts is the Procfile's command, with the Procfile's defaults expanded."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for program in ("gunicorn", "python"):
        fake = bin_dir / program
        fake.write_text(f'#!/bin/sh\necho {program} "$@"\n')
        fake.chmod(0o755)
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin", "PROCFILE": str(ROOT / "Procfile")}
    result = subprocess.run([str(ENTRYPOINT), process], env=env, capture_output=True, text=True, check=True)
    expected = subprocess.run(
        ["/bin/sh", "-c", f"echo {procfile()[process]}"], env={}, capture_output=True, text=True, check=True
    ).stdout
    assert result.stdout == expected
    assert result.stdout.startswith(
        {"web": "gunicorn portal.wsgi --bind 0.0.0.0:8000", "worker": "python"}[process]
    )


def test_it_runs_any_other_command_as_given_from_the_entrypoint():
    result = subprocess.run(
        [str(ENTRYPOINT), "echo", "migrate", "--noinput"], capture_output=True, text=True, check=True
    )
    assert result.stdout == "migrate --noinput\n"


def test_it_migrates_before_web_and_worker_start():
    services = compose()["services"]
    assert services["migrate"]["command"] == ["python", "manage.py", "migrate", "--noinput"]
    for process in ("web", "worker"):
        assert services[process]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"


def test_it_describes_the_topology_in_compose():
    services = compose()["services"]
    assert {"web", "worker", "postgres", "redis", "nginx", "migrate"} <= set(services)
    for process in ("web", "worker"):
        environment = services[process]["environment"]
        assert environment["DATABASE_URL"].startswith("postgres://")
        assert "@postgres:5432/" in environment["DATABASE_URL"]
        assert environment["REDIS_URL"].startswith("redis://redis:6379/")
        assert "media:/srv/studentflow/media" in services[process]["volumes"]
        assert "backups:/srv/studentflow/backups" in services[process]["volumes"]
    assert {"media", "backups"} <= set(compose()["volumes"])
    assert services["nginx"]["build"]["target"] in dockerfile_stages()
    assert services["web"]["build"]["target"] in dockerfile_stages()


# --- the image -----------------------------------------------------------------------------------------


def test_it_builds_on_a_python_that_pyproject_accepts():
    import tomllib

    from packaging.specifiers import SpecifierSet

    requires = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"][
        "requires-python"
    ]
    version = dockerfile_args()["PYTHON_VERSION"]
    assert version in SpecifierSet(requires)
    python_stages = [
        rest for keyword, rest in dockerfile_instructions() if keyword == "FROM" and "python:" in rest
    ]
    assert python_stages
    assert all(rest.startswith("python:${PYTHON_VERSION}-slim") for rest in python_stages)


def test_it_installs_the_system_packages_weasyprint_needs():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    pango = re.search(r"libpangoft2-1\.0\.so.*?missing=\"\$\$missing ([^\"]+)\"", makefile)
    assert pango, "the Makefile's system-deps no longer names WeasyPrint's packages"
    runs = " ".join(rest for keyword, rest in dockerfile_stages()["app"] if keyword == "RUN")
    for package in pango.group(1).split():
        assert re.search(rf"\b{re.escape(package)}\b", runs), package


def test_it_checks_health_on_a_path_the_portal_serves():
    from django.urls import resolve

    stages = dockerfile_stages()
    healthcheck = next(rest for keyword, rest in stages["app"] if keyword == "HEALTHCHECK")
    assert "deploy/healthcheck.py" in healthcheck
    script = (ROOT / "deploy" / "healthcheck.py").read_text(encoding="utf-8")
    path = re.search(r'"http://127\.0\.0\.1:\{port\}(/[^"]*)"', script)
    assert path, "deploy/healthcheck.py no longer asks gunicorn on 127.0.0.1:{port}"
    assert resolve(path.group(1)).url_name == "health"


def test_it_compiles_translations_and_collects_static_files_at_build():
    runs = " ".join(rest for keyword, rest in dockerfile_stages()["app"] if keyword == "RUN")
    assert "manage.py compile_translations" in runs
    assert "manage.py collectstatic --noinput" in runs
    # The nginx stage serves what the app stage collected, where nginx.conf looks for it.
    nginx_stage = dockerfile_stages()["nginx"]
    assert ("COPY", "--from=app /srv/studentflow/static /srv/studentflow/static") in nginx_stage
    assert ("COPY", "deploy/nginx.conf /etc/nginx/nginx.conf") in nginx_stage


def test_it_follows_the_dockerfile_linter_habits():
    instructions = dockerfile_instructions()
    stages = dockerfile_stages()
    final = list(stages)[-1]
    # DL3002: the image runs as a user of its own, not root (the last stage is what `docker build` makes).
    users = [rest for keyword, rest in stages[final] + stages["app"] if keyword == "USER"]
    assert users
    assert all(not user.startswith(("root", "0")) for user in users)
    for keyword, rest in instructions:
        # DL3020: COPY, not ADD (and never ADD of a URL, which downloads unchecked).
        assert keyword != "ADD", rest
        # DL3007: no moving `latest` base images.
        if keyword == "FROM":
            image = rest.split()[0]
            assert ":latest" not in image, rest
            assert ":" in image or image in stages, rest  # a tag, or an earlier stage of this file
        if keyword == "RUN" and "apt-get install" in rest:
            # DL3009 / DL3015: no recommended extras, and the package lists removed in the same layer.
            assert "--no-install-recommends" in rest, rest
            assert "rm -rf /var/lib/apt/lists/*" in rest, rest
            assert "apt-get update" in rest, rest  # DL3009's twin: never a stale cached list
        if keyword == "RUN" and "pip install" in rest:
            assert "--no-cache-dir" in rest, rest  # DL3042
        # DL3025: JSON form for what receives the stop signal.
        if keyword in {"CMD", "ENTRYPOINT"}:
            assert rest.startswith("["), rest
        # No secret baked into a layer: the one SECRET_KEY is scoped to the collectstatic RUN.
        if keyword in {"ENV", "ARG"}:
            assert "SECRET" not in rest, rest
            assert "PASSWORD" not in rest, rest
    assert (ROOT / ".dockerignore").is_file()
    ignored = (ROOT / ".dockerignore").read_text(encoding="utf-8").split()
    assert {".env", ".venv", ".git", "var"} <= {line.strip("/") for line in ignored}


# --- nginx ---------------------------------------------------------------------------------------------


def test_it_sends_nginx_to_the_port_web_listens_on():
    text = NGINX_CONF.read_text(encoding="utf-8")
    servers = re.findall(r"^\s*server\s+([\w.-]+):(\d+)", text, flags=re.MULTILINE)
    assert servers == [("web", "8000")]
    assert "${PORT:-8000}" in procfile()["web"]
    assert ("EXPOSE", "8000") in dockerfile_stages()["app"]
    assert env_example()["PORT"] == "8000"
    assert "web" in compose()["services"]


def test_it_lets_through_the_largest_upload_the_settings_accept(settings):
    text = NGINX_CONF.read_text(encoding="utf-8")
    (limit,) = nginx_directive(text, "client_max_body_size")
    number, unit = re.fullmatch(r"(\d+)([kKmM]?)", limit.strip()).groups()
    limit_bytes = int(number) * {"": 1, "k": 1024, "m": 1024**2}[unit.lower()]
    largest = max(
        settings.STUDENTFLOW_ATTACHMENT_MAX_BYTES,
        settings.STUDENTFLOW_IMPORT_MAX_BYTES,
        settings.STUDENTFLOW_PHOTO_MAX_BYTES,
        settings.DATA_UPLOAD_MAX_MEMORY_SIZE,
    )
    # Room for the multipart form around the file, but not a door for bodies the portal refuses anyway.
    assert largest < limit_bytes <= largest + 2 * 1024**2


def test_it_forwards_what_django_needs_to_know_behind_nginx():
    text = NGINX_CONF.read_text(encoding="utf-8")
    headers = dict(h.split(None, 1) for h in nginx_directive(text, "proxy_set_header"))
    assert headers["X-Forwarded-Proto"] == "$scheme"  # SECURE_PROXY_SSL_HEADER in production
    assert headers["X-Forwarded-For"] == "$proxy_add_x_forwarded_for"
    assert headers["Host"] == "$host"
    # The request id nginx logs is the one Django logs and hands to the tasks (modules/core/observability.py).
    assert headers["X-Request-ID"] == "$request_id"
    assert re.search(r"log_format studentflow [^;]*\$request_id", text)
    assert re.search(r"location /static/ \{\s*root /srv/studentflow;", text)
    assert env_example()["STATIC_ROOT"] == "/srv/studentflow/static"


def test_it_passes_nginx_own_configuration_test(tmp_path):
    """`nginx -t` on deploy/nginx.conf, with what exists only in the compose network swapped for local
    stand-ins: the `web` host name (nginx resolves upstreams when it loads) and the school's certificate."""
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    assert Path(nginx).exists(), "nginx is not installed: `make system-deps` installs Debian's package"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=test",
            "-keyout",
            str(tmp_path / "privkey.pem"),
            "-out",
            str(tmp_path / "fullchain.pem"),
        ],
        check=True,
        capture_output=True,
    )
    text = NGINX_CONF.read_text(encoding="utf-8")
    text = text.replace("server web:8000", "server 127.0.0.1:8000")
    text = text.replace("/etc/nginx/certs/", f"{tmp_path}/")
    text = text.replace("/var/log/nginx/", f"{tmp_path}/")
    config = tmp_path / "nginx.conf"
    config.write_text(text, encoding="utf-8")
    result = subprocess.run(
        [
            nginx,
            "-t",
            "-c",
            str(config),
            "-e",
            str(tmp_path / "error.log"),
            "-g",
            f"pid {tmp_path}/nginx.pid;",
        ],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert "test is successful" in result.stderr


def test_it_ships_a_pg_dump_that_can_dump_the_compose_server():
    """manage.py backup runs pg_dump, which refuses a server of a newer major version than its own: the
    image's client (Debian's for the release) and compose's server must agree."""
    debian_client = {"bookworm": 15, "trixie": 17}[dockerfile_args()["DEBIAN_RELEASE"]]
    runs = " ".join(rest for keyword, rest in dockerfile_stages()["app"] if keyword == "RUN")
    assert re.search(r"\bpostgresql-client\b", runs)
    server = re.fullmatch(r"postgres:(\d+)(-.*)?", compose()["services"]["postgres"]["image"])
    assert server
    assert int(server.group(1)) <= debian_client
