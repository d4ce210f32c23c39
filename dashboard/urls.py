from django.urls import path

from dashboard import views

app_name = "dashboard"

urlpatterns = [
    path("day/", views.day_view, name="day"),
]
