from django.urls import path

from cart import api

urlpatterns = [
    path("cart/", api.CartView.as_view(), name="api-cart"),
    path("cart/lines/", api.LinesView.as_view(), name="api-cart-lines"),
    path("cart/lines/<int:line_id>/", api.LineView.as_view(), name="api-cart-line"),
    path("cart/voucher/", api.VoucherView.as_view(), name="api-cart-voucher"),
]
