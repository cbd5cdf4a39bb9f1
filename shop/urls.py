from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path
from django.views.static import serve
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from checkout import views as checkout_views
from shop import views

storefront = (
    [
        path("", views.home, name="home"),
        path("p/<slug:slug>/", views.product_detail, name="product"),
    ],
    "shop",
)

urlpatterns = [
    path("admin/", admin.site.urls),
    path("health/", views.health, name="health"),  # load balancers; the benchmark's floor
    path("i18n/", include("django.conf.urls.i18n")),
    path("django-rq/", include("shop.rq_dashboard")),  # superusers only
    path("api/v1/", include("cart.api_urls")),
    path("api/v1/", include("checkout.api_urls")),
    path("checkout/webhooks/<str:provider>/", checkout_views.webhook, name="checkout-webhook"),
    # SMS and WhatsApp gateways' status callbacks and replies (signed; recovery/webhooks.py).
    path("recovery/webhooks/", include("recovery.webhook_urls")),
    path("api/v1/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/v1/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
]
urlpatterns += i18n_patterns(
    path("cart/", include("cart.urls")),
    path("checkout/", include("checkout.urls")),
    path("m/", include("recovery.urls")),
    path("account/", include("shop.accounts.urls")),
    path("", include(storefront)),
)

if settings.SERVE_MEDIA:  # on in DEBUG by default; a web server serves media in production
    urlpatterns.insert(
        0, path(f"{settings.MEDIA_URL.strip('/')}/<path:path>", serve,
                {"document_root": settings.MEDIA_ROOT}),
    )  # fmt: skip
