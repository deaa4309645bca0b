"""Settings of the test project, configured once per test process (``configure()``).

Every Django test module calls ``configure()`` before importing Django models,
so whichever runs first, they share one configuration: the flags app, the
admin (with its login, messages and static files) and a throwaway SQLite
database for users and sessions.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path

__all__ = ["PROJECT", "configure"]

PROJECT = Path(__file__).resolve().parent


def configure() -> None:
    """``settings.configure(...)`` and ``django.setup()``, once."""
    import django
    from django.conf import settings

    if settings.configured:
        return
    db_dir = tempfile.mkdtemp(prefix="scrubphi-django-")
    atexit.register(shutil.rmtree, db_dir, True)
    settings.configure(
        DEBUG=False,
        SECRET_KEY="scrubphi-tests-only",
        ALLOWED_HOSTS=["testserver", "127.0.0.1", "localhost"],
        ROOT_URLCONF="djangoproject.urls",
        INSTALLED_APPS=[
            "django.contrib.admin",
            "django.contrib.auth",
            "django.contrib.contenttypes",
            "django.contrib.sessions",
            "django.contrib.messages",
            "django.contrib.staticfiles",
            "scrubphi.flags.django",
        ],
        MIDDLEWARE=[
            "django.contrib.sessions.middleware.SessionMiddleware",
            "django.middleware.csrf.CsrfViewMiddleware",
            "django.contrib.auth.middleware.AuthenticationMiddleware",
            "django.contrib.messages.middleware.MessageMiddleware",
            "scrubphi.flags.django.middleware.FlagsMiddleware",
        ],
        DATABASES={
            "default": {
                "ENGINE": "django.db.backends.sqlite3",
                "NAME": str(Path(db_dir) / "django.sqlite3"),
            }
        },
        TEMPLATES=[
            {
                "BACKEND": "django.template.backends.django.DjangoTemplates",
                "DIRS": [str(PROJECT / "templates")],
                "APP_DIRS": True,
                "OPTIONS": {
                    "context_processors": [
                        "django.template.context_processors.request",
                        "django.contrib.auth.context_processors.auth",
                        "django.contrib.messages.context_processors.messages",
                    ]
                },
            }
        ],
        STATIC_URL="/static/",
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        USE_TZ=True,
        DEFAULT_AUTO_FIELD="django.db.models.AutoField",
        SCRUBPHI_POLICY=str(PROJECT / "policy.yaml"),
        SCRUBPHI_STATE=None,
        SCRUBPHI_CONTEXT_HOOK="djangoproject.hooks.add_tenant",
    )
    django.setup()
