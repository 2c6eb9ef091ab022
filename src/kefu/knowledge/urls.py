from django.urls import path

from kefu.knowledge import views

app_name = "knowledge"

urlpatterns = [
    path("", views.home, name="home"),
    path("help/search/", views.search, name="search"),
    path("help/ask/", views.ask, name="ask"),
    path("help/c/<slug:slug>/", views.category, name="category"),
    path("help/a/<slug:slug>/", views.article, name="article"),
    path("help/a/<slug:slug>/feedback/", views.feedback, name="feedback"),
    path("console/kb/", views.console_articles, name="console_articles"),
    path("console/kb/new/", views.console_edit, name="console_new"),
    path("console/kb/<int:article_id>/edit/", views.console_edit, name="console_edit"),
    path("console/kb/<int:article_id>/", views.console_history, name="console_history"),
    path("console/kb/<int:article_id>/publish/", views.console_publish, name="console_publish"),
    path("console/kb/<int:article_id>/status/", views.console_status, name="console_status"),
    path("console/kb/questions/", views.console_questions, name="console_questions"),
    path(
        "console/kb/questions/<int:suggestion_id>/review/",
        views.console_review,
        name="console_review",
    ),
]
