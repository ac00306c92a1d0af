"""REST API for people and workspaces: API tokens, workspaces, members and invitations, teams.

Authentication: a session (the browser) or a token sent as `Authorization: Token <key>`; get a token with
`POST /api/v1/auth/token/` (username and password). Requests without credentials get 401 with
`WWW-Authenticate: Token`. Access goes through accounts.access (404 for outsiders, 403 below the needed
role); writes go through accounts.services. Bad input is answered 400 with `{field: [messages]}`.
"""

from django.contrib.auth import authenticate
from django.db.models import OuterRef, Subquery
from django.http import Http404
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import generics, serializers, status
from rest_framework.authtoken.models import Token
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from core.serializers import FieldsOnce, IdField, text_field_for

from . import access, services
from .models import Invitation, Membership, Role, Team, User, Workspace
from .selectors import members_of

ERRORS = {
    400: OpenApiResponse(description="Bad input: `{field: [messages]}`; nothing was changed."),
    403: OpenApiResponse(description="You are a member but lack the role this needs."),
    404: OpenApiResponse(description="No such workspace (or you are not a member of it)."),
}

# ---------------------------------------------------------------------------------------------- serializers


class UserBriefOut(FieldsOnce, serializers.ModelSerializer):
    name = serializers.CharField(source="display_name", read_only=True)

    class Meta:
        model = User
        fields = ["id", "username", "name"]
        read_only_fields = fields


class TokenIn(serializers.Serializer):
    username = serializers.CharField()
    password = serializers.CharField(trim_whitespace=False, write_only=True, style={"input_type": "password"})


class TokenOut(serializers.Serializer):
    token = serializers.CharField(help_text="Send it as `Authorization: Token <token>`.")
    user = UserBriefOut()


class WorkspaceOut(serializers.ModelSerializer):
    role = serializers.ChoiceField(
        choices=Role.choices, read_only=True, help_text="Your role in the workspace."
    )

    class Meta:
        model = Workspace
        fields = ["id", "name", "slug", "role", "created_at"]
        read_only_fields = fields


class WorkspaceCreateIn(serializers.Serializer):
    name = text_field_for(Workspace, "name")


class MemberOut(serializers.ModelSerializer):
    id = serializers.IntegerField(source="user.id", read_only=True, help_text="The member's user id.")
    username = serializers.CharField(source="user.username", read_only=True)
    name = serializers.CharField(source="user.display_name", read_only=True)
    email = serializers.EmailField(source="user.email", read_only=True)

    class Meta:
        model = Membership
        fields = ["id", "username", "name", "email", "role", "joined_at"]
        read_only_fields = fields


class InvitationIn(serializers.Serializer):
    email = serializers.EmailField()
    role = serializers.ChoiceField(choices=Role.choices, default=Role.VIEWER)


class InvitationOut(serializers.ModelSerializer):
    class Meta:
        model = Invitation
        fields = ["id", "email", "role", "created_at", "expires_at"]
        read_only_fields = fields


class MemberRoleIn(serializers.Serializer):
    role = serializers.ChoiceField(choices=Role.choices)


class TeamOut(serializers.ModelSerializer):
    members = UserBriefOut(many=True, read_only=True)

    class Meta:
        model = Team
        fields = ["id", "name", "members"]
        read_only_fields = fields


class TeamMembersIn(serializers.Serializer):
    members = serializers.ListField(
        child=IdField(), help_text="User ids; each must be a member of the workspace."
    )

    def validate_members(self, ids):
        # Only members of the workspace (in the serializer's context) are found: an id of someone elsewhere
        # gets the very answer of an id nobody has, so the API never confirms people outside the workspace.
        users = list(User.objects.filter(pk__in=set(ids), memberships__workspace=self.context["workspace"]))
        if len(users) != len(set(ids)):
            raise serializers.ValidationError(services.NOT_MEMBERS)
        return users


class TeamCreateIn(TeamMembersIn):
    name = text_field_for(Team, "name")
    members = serializers.ListField(child=IdField(), default=list, help_text="User ids.")


# ---------------------------------------------------------------------------------------------- auth


class TokenApi(APIView):
    """Exchange a username and password for an API token, or revoke the token you use."""

    def get_permissions(self):
        return [IsAuthenticated()] if self.request.method == "DELETE" else [AllowAny()]

    @extend_schema(
        tags=["auth"],
        summary="Get an API token",
        description="Returns your token (created on first use). Send it as `Authorization: Token <token>`.",
        request=TokenIn,
        responses={200: TokenOut, 400: OpenApiResponse(description="Wrong username or password.")},
        auth=[],
    )
    def post(self, request):
        data = TokenIn(data=request.data)
        data.is_valid(raise_exception=True)
        user = authenticate(request._request, **data.validated_data)
        if user is None:
            raise serializers.ValidationError({"non_field_errors": ["Wrong username or password."]})
        token, _ = Token.objects.get_or_create(user=user)
        return Response(TokenOut({"token": token.key, "user": user}).data)

    @extend_schema(tags=["auth"], summary="Revoke your API token", request=None, responses={204: None})
    def delete(self, request):
        Token.objects.filter(user=request.user).delete()
        return Response(status=status.HTTP_204_NO_CONTENT)


# ---------------------------------------------------------------------------------------------- workspaces


def _with_role(queryset, user):
    role = Membership.objects.filter(workspace=OuterRef("pk"), user_id=user.pk).values("role")[:1]
    return queryset.annotate(role=Subquery(role))


@extend_schema_view(get=extend_schema(tags=["workspaces"], summary="Workspaces you are a member of"))
class WorkspaceListApi(generics.ListAPIView):
    serializer_class = WorkspaceOut

    def get_queryset(self):
        return _with_role(access.workspaces_of(self.request.user), self.request.user).order_by("name", "pk")

    @extend_schema(
        tags=["workspaces"],
        summary="Create a workspace (you become its admin)",
        request=WorkspaceCreateIn,
        responses={201: WorkspaceOut, 400: ERRORS[400]},
    )
    def post(self, request):
        data = WorkspaceCreateIn(data=request.data)
        data.is_valid(raise_exception=True)
        workspace = services.workspace_create(name=data.validated_data["name"], by=request.user)
        workspace.role = Role.ADMIN
        return Response(WorkspaceOut(workspace).data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    get=extend_schema(
        tags=["workspaces"], summary="A workspace", responses={200: WorkspaceOut, 404: ERRORS[404]}
    )
)
class WorkspaceDetailApi(generics.RetrieveAPIView):
    serializer_class = WorkspaceOut

    def get_object(self):
        return access.workspace_for(self.request.user, self.kwargs["pk"])


@extend_schema_view(get=extend_schema(tags=["workspaces"], summary="Members of a workspace"))
class MemberListApi(generics.ListAPIView):
    serializer_class = MemberOut

    def get_queryset(self):
        return members_of(access.workspace_for(self.request.user, self.kwargs["pk"]))

    @extend_schema(
        tags=["workspaces"],
        summary="Invite a person by email (admins)",
        description="Sends an email with a link to join; inviting the same address again renews the link.",
        request=InvitationIn,
        responses={201: InvitationOut, **ERRORS},
    )
    def post(self, request, pk):
        workspace = access.workspace_for(request.user, pk, need=Role.ADMIN)
        data = InvitationIn(data=request.data)
        data.is_valid(raise_exception=True)
        invitation = services.invitation_create(
            workspace=workspace,
            by=request.user,
            invite_url_base=request.build_absolute_uri("/"),
            **data.validated_data,
        )
        return Response(InvitationOut(invitation).data, status=status.HTTP_201_CREATED)


class MemberDetailApi(APIView):
    """Change a member's role or remove them (workspace admins)."""

    def _membership(self, request, pk, user_id):
        workspace = access.workspace_for(request.user, pk, need=Role.ADMIN)
        membership = members_of(workspace).filter(user_id=user_id).first()
        if membership is None:
            raise Http404("No such member.")
        return workspace, membership

    @extend_schema(
        tags=["workspaces"],
        summary="Change a member's role (admins)",
        request=MemberRoleIn,
        responses={200: MemberOut, **ERRORS},
    )
    def patch(self, request, pk, user_id):
        workspace, membership = self._membership(request, pk, user_id)
        data = MemberRoleIn(data=request.data)
        data.is_valid(raise_exception=True)
        membership = services.membership_set(
            workspace=workspace, user=membership.user, role=data.validated_data["role"]
        )
        return Response(MemberOut(membership).data)

    @extend_schema(
        tags=["workspaces"], summary="Remove a member (admins)", request=None, responses={204: None, **ERRORS}
    )
    def delete(self, request, pk, user_id):
        workspace, membership = self._membership(request, pk, user_id)
        services.membership_remove(workspace=workspace, user=membership.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


# ---------------------------------------------------------------------------------------------- teams


@extend_schema_view(get=extend_schema(tags=["workspaces"], summary="Teams of a workspace"))
class TeamListApi(generics.ListAPIView):
    serializer_class = TeamOut

    def get_queryset(self):
        workspace = access.workspace_for(self.request.user, self.kwargs["pk"])
        return workspace.teams.prefetch_related("members").order_by("name", "pk")

    @extend_schema(
        tags=["workspaces"],
        summary="Create a team (admins)",
        request=TeamCreateIn,
        responses={201: TeamOut, **ERRORS},
    )
    def post(self, request, pk):
        workspace = access.workspace_for(request.user, pk, need=Role.ADMIN)
        data = TeamCreateIn(data=request.data, context={"workspace": workspace})
        data.is_valid(raise_exception=True)
        team = services.team_create(workspace=workspace, **data.validated_data)
        return Response(TeamOut(team).data, status=status.HTTP_201_CREATED)


class TeamDetailApi(APIView):
    """A team of a workspace; admins set its members."""

    def _team(self, request, pk, team_id, need=Role.VIEWER):
        workspace = access.workspace_for(request.user, pk, need=need)
        team = workspace.teams.prefetch_related("members").filter(pk=team_id).first()
        if team is None:
            raise Http404("No such team.")
        return team

    @extend_schema(tags=["workspaces"], summary="A team", responses={200: TeamOut, 404: ERRORS[404]})
    def get(self, request, pk, team_id):
        return Response(TeamOut(self._team(request, pk, team_id)).data)

    @extend_schema(
        tags=["workspaces"],
        summary="Set a team's members (admins)",
        request=TeamMembersIn,
        responses={200: TeamOut, **ERRORS},
    )
    def patch(self, request, pk, team_id):
        team = self._team(request, pk, team_id, need=Role.ADMIN)
        data = TeamMembersIn(data=request.data, context={"workspace": team.workspace})
        data.is_valid(raise_exception=True)
        team = services.team_set_members(team=team, members=data.validated_data["members"])
        team = Team.objects.prefetch_related("members").get(pk=team.pk)
        return Response(TeamOut(team).data)
