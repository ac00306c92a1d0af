from django.urls import path

from . import api

app_name = "accounts-api"
urlpatterns = [
    path("auth/token/", api.TokenApi.as_view(), name="auth-token"),
    path("workspaces/", api.WorkspaceListApi.as_view(), name="workspace-list"),
    path("workspaces/<int:pk>/", api.WorkspaceDetailApi.as_view(), name="workspace-detail"),
    path("workspaces/<int:pk>/members/", api.MemberListApi.as_view(), name="member-list"),
    path("workspaces/<int:pk>/members/<int:user_id>/", api.MemberDetailApi.as_view(), name="member-detail"),
    path("workspaces/<int:pk>/teams/", api.TeamListApi.as_view(), name="team-list"),
    path("workspaces/<int:pk>/teams/<int:team_id>/", api.TeamDetailApi.as_view(), name="team-detail"),
]
