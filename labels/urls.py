from django.urls import path

app_name = "labels"

urlpatterns: list = []
