from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy
from django.views.decorators.http import require_http_methods

from . import views

# Django's form views also answer PUT (as POST), OPTIONS, and (sign-in, reset links) any method at all
# before their own checks: a page serves what its form sends, nothing else (405 first).
form_page = require_http_methods(["GET", "HEAD", "POST"])

app_name = "accounts"
urlpatterns = [
    path(
        "login/",
        form_page(
            auth_views.LoginView.as_view(
                template_name="accounts/login.html", redirect_authenticated_user=True
            )
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "password/",
        form_page(
            auth_views.PasswordChangeView.as_view(
                template_name="accounts/password_change.html",
                success_url=reverse_lazy("accounts:password_change_done"),
            )
        ),
        name="password_change",
    ),
    path(
        "password/done/",
        auth_views.PasswordChangeDoneView.as_view(template_name="accounts/password_change_done.html"),
        name="password_change_done",
    ),
    path("password/reset/", form_page(views.PasswordResetView.as_view()), name="password_reset"),
    path(
        "password/reset/sent/",
        auth_views.PasswordResetDoneView.as_view(template_name="accounts/password_reset_done.html"),
        name="password_reset_done",
    ),
    path(
        "password/reset/<uidb64>/<token>/",
        form_page(
            auth_views.PasswordResetConfirmView.as_view(
                template_name="accounts/password_reset_confirm.html",
                success_url=reverse_lazy("accounts:password_reset_complete"),
            )
        ),
        name="password_reset_confirm",
    ),
    path(
        "password/reset/complete/",
        auth_views.PasswordResetCompleteView.as_view(template_name="accounts/password_reset_complete.html"),
        name="password_reset_complete",
    ),
    path("invite/<str:token>/", views.invitation_accept, name="invitation_accept"),
    path("workspaces/new/", views.workspace_create, name="workspace_create"),
    path("workspaces/<int:pk>/switch/", views.workspace_switch, name="workspace_switch"),
    path("workspaces/<int:pk>/members/", views.members, name="members"),
    path("workspaces/<int:pk>/members/<int:user_id>/role/", views.member_role, name="member_role"),
    path("workspaces/<int:pk>/members/<int:user_id>/remove/", views.member_remove, name="member_remove"),
    path("workspaces/<int:pk>/invitations/", views.invitation_create, name="invitation_create"),
    path(
        "workspaces/<int:pk>/invitations/<int:invitation_id>/revoke/",
        views.invitation_revoke,
        name="invitation_revoke",
    ),
    path("workspaces/<int:pk>/teams/", views.teams, name="teams"),
    path("workspaces/<int:pk>/teams/<int:team_id>/members/", views.team_members, name="team_members"),
]
