"""The project's URLs plus Django's own login view, so tests can log a shopper in through a real
request (``django.contrib.auth.login`` inside the middleware stack, as an account page would)."""

from django.contrib.auth import views as auth_views
from django.urls import path

from shop.urls import urlpatterns as shop_urlpatterns

urlpatterns = [
    path("login/", auth_views.LoginView.as_view(template_name="admin/login.html"), name="login"),
    *shop_urlpatterns,
]
