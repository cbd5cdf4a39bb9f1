from django.urls import path

from cart import views

app_name = "cart"

urlpatterns = [
    path("", views.cart_page, name="page"),
    path("add/", views.add, name="add"),
    path("lines/<int:line_id>/", views.update_line, name="line"),
    path("voucher/", views.voucher, name="voucher"),
    path("shipping/", views.shipping, name="shipping"),
]
