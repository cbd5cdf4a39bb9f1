from django.urls import path

from checkout import api

urlpatterns = [
    path("checkout/quote/", api.QuoteView.as_view(), name="api-checkout-quote"),
    path("checkout/contact/", api.ContactView.as_view(), name="api-checkout-contact"),
    path("checkout/orders/", api.PlaceOrderView.as_view(), name="api-checkout-place"),
]
