"""Settings of the gunicorn bench/portal_load.py starts: the project's, with static files named as
they are. Production serves them from `collectstatic`'s manifest; the bench fetches no static file
and does not run collectstatic (it would write into the checkout), so its pages link them plainly.
"""

from backoffice.settings import *  # noqa: F403
from backoffice.settings import STORAGES

STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
