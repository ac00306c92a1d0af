from django.urls import path

from . import views

app_name = "imports"

urlpatterns = [
    path("<str:pk>/", views.import_detail, name="detail"),
    path("<str:pk>/progress/", views.import_progress, name="progress"),
]
