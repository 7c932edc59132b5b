import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhibu.settings")
application = get_wsgi_application()

from zhibu.core.startup import refuse_unsafe_production  # noqa: E402  (needs the settings)

refuse_unsafe_production()
