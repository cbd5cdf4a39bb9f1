"""django-rq's dashboard under /django-rq/, for superusers only.

django-rq lets any staff member in; its pages show every queued job with its arguments
(customers' e-mails and carts) and can delete, requeue or empty whole queues. Shop staff who
write to customers need none of that. The JSON statistics and metrics keep their API token
for monitoring that is not signed in.
"""

from __future__ import annotations

from functools import wraps

from django.core.exceptions import PermissionDenied
from django_rq.urls import get_admin_urlpatterns, get_api_urlpatterns


def superusers_only(view):
    """Refuse signed-in staff who are not superusers; django-rq's own checks do the rest
    (sign-in page for visitors, API token for the statistics)."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        user = request.user
        if user.is_authenticated and not user.is_superuser:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


def _api_urlpatterns():
    patterns = get_api_urlpatterns()
    for pattern in patterns:  # staff signed in to the admin read no statistics either
        pattern.callback = superusers_only(pattern.callback)
    return patterns


urlpatterns = [*_api_urlpatterns(), *get_admin_urlpatterns(view_wrapper=superusers_only)]
app_name = "django_rq"
