"""WSGI entry point (gunicorn styrning.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "styrning.settings")
application = get_wsgi_application()
