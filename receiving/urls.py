from django.urls import path

app_name = "receiving"

urlpatterns: list = []
