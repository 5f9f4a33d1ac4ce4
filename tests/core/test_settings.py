"""Production settings: no start on a guessable key, HTTPS on by default, `check --deploy` passes.

The test suite runs on backoffice/settings_test.py (a throwaway key, no HTTPS redirect); these tests
start `manage.py` in a child process with the environment a deployment has, without those.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import environ
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
STRONG_KEY = secrets.token_urlsafe(50)
PRINT_SETTINGS = (
    "import json, django; django.setup(); from django.conf import settings as s; print(json.dumps({"
    "'debug': s.DEBUG, 'ssl_redirect': s.SECURE_SSL_REDIRECT, 'hsts': s.SECURE_HSTS_SECONDS, "
    "'hsts_subdomains': s.SECURE_HSTS_INCLUDE_SUBDOMAINS, 'hsts_preload': s.SECURE_HSTS_PRELOAD, "
    "'session_secure': s.SESSION_COOKIE_SECURE, 'csrf_secure': s.CSRF_COOKIE_SECURE, "
    "'proxy_header': getattr(s, 'SECURE_PROXY_SSL_HEADER', None)}))"
)


def deployment_env(**variables: str) -> dict[str, str]:
    """This process's environment without the test suite's settings, plus `variables`.

    SECRET_KEY and DEBUG are always given, so a developer's .env (read with overwrite=False) cannot
    fill them in.
    """
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("SECURE_")
        # DJANGO_ALLOW_ASYNC_UNSAFE: the browser tests' own (tests/portal/browser), never a deployment's.
        and name not in ("SECRET_KEY", "DEBUG", "ALLOWED_HOSTS", "DJANGO_ALLOW_ASYNC_UNSAFE")
    }
    env["DJANGO_SETTINGS_MODULE"] = "backoffice.settings"
    env["SECRET_KEY"] = ""
    env["DEBUG"] = "0"
    return {**env, **variables}


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )


@pytest.mark.parametrize(
    "key",
    [
        "",  # unset (or SECRET_KEY= as .env.example ships it)
        "insecure-local-demo-key-change-me-in-production",  # the demo's public key
        "change-me-to-a-long-random-string",  # a placeholder: too short
        "a" * 60,  # long, but one character
        "django-insecure-" + "x1y2z3" * 10,  # Django's startproject placeholder
    ],
)
def test_with_debug_off_the_server_refuses_to_start_without_a_real_key(key):
    result = run(["manage.py", "check"], deployment_env(SECRET_KEY=key))
    assert result.returncode != 0
    assert "ImproperlyConfigured: SECRET_KEY is missing or weak" in result.stderr


def test_with_a_strong_key_and_allowed_hosts_check_deploy_passes_at_warning_level():
    env = deployment_env(SECRET_KEY=STRONG_KEY, ALLOWED_HOSTS="backoffice.example.com")
    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
    production = json.loads(run(["-c", PRINT_SETTINGS], env).stdout)
    assert production == {
        "debug": False,
        "ssl_redirect": True,
        "hsts": 31536000,
        "hsts_subdomains": True,
        "hsts_preload": True,
        "session_secure": True,
        "csrf_secure": True,
        "proxy_header": None,
    }


def test_behind_a_tls_terminating_proxy_each_part_can_be_turned_off_or_told_the_header():
    env = deployment_env(
        SECRET_KEY=STRONG_KEY,
        SECURE_SSL_REDIRECT="0",
        SECURE_HSTS_SECONDS="0",
        SECURE_COOKIES="0",
        SECURE_PROXY_SSL_HEADER="HTTP_X_FORWARDED_PROTO,https",
    )
    result = run(["-c", PRINT_SETTINGS], env)
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout)
    assert (values["ssl_redirect"], values["hsts"], values["session_secure"], values["csrf_secure"]) == (
        False,
        0,
        False,
        False,
    )
    assert values["proxy_header"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    wrong = run(["-c", PRINT_SETTINGS], {**env, "SECURE_PROXY_SSL_HEADER": "X_FORWARDED_PROTO"})
    assert "SECURE_PROXY_SSL_HEADER is a header and its value" in wrong.stderr


def test_the_demo_with_debug_on_starts_without_a_key_and_without_https():
    result = run(["-c", PRINT_SETTINGS], deployment_env(DEBUG="1"))
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout)
    assert (values["debug"], values["ssl_redirect"], values["hsts"], values["session_secure"]) == (
        True,
        False,
        0,
        False,
    )


@pytest.mark.django_db
def test_the_ssl_redirect_spares_only_the_containers_health_check(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    assert client.get("/healthz").status_code != 301
    page = client.get("/admin/login/")
    assert (page.status_code, page["Location"]) == (301, "https://testserver/admin/login/")


def test_the_throttles_count_in_redis_in_the_docker_deployment():
    # DRF's throttles keep their counts in the default cache: in-process, each gunicorn worker would
    # count on its own. The Docker deployment points every container's cache at Redis.
    from django.core.cache import cache
    from rest_framework.throttling import SimpleRateThrottle

    assert SimpleRateThrottle.cache is cache
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    for name in ("web", "worker", "beat"):
        cache_url = compose["services"][name]["environment"]["CACHE_URL"]
        backend = environ.Env.cache_url_config(cache_url)["BACKEND"]
        assert backend == "django.core.cache.backends.redis.RedisCache"
        assert cache_url.startswith("redis://redis:6379/")
    # ... and a deployment cannot start without its own key.
    assert compose["services"]["web"]["environment"]["SECRET_KEY"].startswith("${SECRET_KEY:?")


def test_every_environment_variable_the_settings_read_is_in_the_readme_table():
    settings_source = (ROOT / "backoffice" / "settings.py").read_text()
    variables = set(re.findall(r"env(?:\.\w+)?\(\s*\"([A-Z][A-Z0-9_]+)\"", settings_source))
    variables |= set(re.findall(r"\(\"\w+\", \"([A-Z][A-Z0-9_]+)\"\)", settings_source))
    readme = (ROOT / "README.md").read_text()
    table = readme.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    documented = set(re.findall(r"`([A-Z][A-Z0-9_]+)`", table))
    # COMPLIANCE_*: the table gives the six as COMPLIANCE_MIN_CUSTOMER_VOLUME_SHARE, `..._MIN_PAID_SHARE`...
    documented |= {f"COMPLIANCE{suffix}" for suffix in re.findall(r"`\.\.\.(_[A-Z_]+)`", table)}
    assert sorted(variables - documented) == []
