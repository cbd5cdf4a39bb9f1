"""RQ cron configuration: ``manage.py rqcron shop.cron``.

Loads the recurring jobs listed in ``settings.SHOP_CRON_JOBS`` (dotted path, queue, cron
expression), so every app adds its own jobs there without this module importing upper apps.
"""

from django.conf import settings
from django.utils.module_loading import import_string
from rq import cron

for path, queue_name, expression in settings.SHOP_CRON_JOBS:
    cron.register(import_string(path), queue_name=queue_name, cron=expression)
