from django.urls import path

from checkout import views

app_name = "checkout"

urlpatterns = [
    path("", views.checkout_page, name="page"),
    path("return/<str:order_number>/", views.payment_return, name="return"),
    path("order/<str:order_number>/", views.confirmation, name="confirmation"),
    path("order/<str:order_number>/account/", views.create_account, name="account"),
    path("sandbox/", views.sandbox_page, name="sandbox"),
]
