"""URLs of the test project."""

from __future__ import annotations

from django.contrib import admin
from django.urls import path

from djangoproject import views

__all__ = ["urlpatterns"]

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", views.home, name="home"),
    path("schedule/", views.schedule),
    path("schedule-cbv/", views.ScheduleView.as_view()),
    path("legacy/", views.legacy),
    path("beta/", views.beta),
    path("async/", views.async_page),
    path("async-off/", views.async_off),
    path("page/", views.page),
    path("context/", views.context),
    path("check/<str:name>/", views.check),
    path("variant/<str:name>/", views.variant),
]
