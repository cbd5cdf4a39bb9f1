from django.urls import path

from recovery import views

app_name = "recovery"

urlpatterns = [
    path("r/<str:token>/", views.restore, name="restore"),
    path("o/<str:token>/", views.opened, name="open"),
    path("u/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("f/<str:token>/", views.feedback, name="feedback"),
    path("save-cart/", views.save_cart, name="save_cart"),
]
