from django.urls import path, re_path

from labels import views

app_name = "labels"

urlpatterns = [
    path("po/<int:pk>/", views.purchase_order_labels, name="po"),
    path("awb/<str:awb>/", views.awb_labels, name="awb"),
    re_path(
        r"^ship-date/(?P<ship_date>\d{4}-\d{2}-\d{2})/$",
        views.ship_date_labels,
        name="ship_date",
    ),
    path("boxes/", views.selected_box_labels, name="boxes"),
    path("batches/<int:pk>/", views.batch_detail, name="batch"),
    path("batches/<int:pk>/status/", views.batch_status, name="batch_status"),
    path("batches/<int:pk>/download/", views.batch_download, name="batch_download"),
]
