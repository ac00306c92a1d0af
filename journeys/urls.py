from django.urls import path

from . import live
from .views import editor as views_editor
from .views import journeys as views
from .views import structure as views_structure
from .views import versions as views_versions

app_name = "journeys"
urlpatterns = [
    path("", views.journey_list, name="list"),
    path("new/", views.journey_create, name="create"),
    path("<int:pk>/", views.journey_map, name="map"),
    path("<int:pk>/grid/", views.journey_map_grid, name="map_grid"),
    path("<int:pk>/cells/", views_editor.cells, name="map_cells"),
    path("<int:pk>/live/", live.journey_live, name="live"),
    path("<int:pk>/settings/", views.journey_settings, name="settings"),
    path("<int:pk>/access/", views.journey_access, name="access"),
    path("<int:pk>/access/remove/", views.journey_access_remove, name="access_remove"),
    path("<int:pk>/archive/", views.journey_archive, name="archive"),
    path("<int:pk>/delete/", views.journey_delete, name="delete"),
    # Structure across journeys (journeys/views_structure.py): copies, templates, sub-journeys, compare…
    path("new/from/", views_structure.journey_new_from, name="new_from"),
    path("<int:pk>/copy/", views_structure.journey_copy, name="copy"),
    path("<int:pk>/future-state/", views_structure.journey_future_state, name="future_state"),
    path("<int:pk>/template/", views_structure.journey_template, name="template"),
    path(
        "<int:pk>/steps/<int:step_id>/sub-journey/",
        views_structure.sub_journey_create,
        name="sub_journey_create",
    ),
    path("<int:pk>/compare/", views_structure.journey_compare, name="compare"),
    path("<int:pk>/present/", views_structure.journey_present, name="present"),
    path("<int:pk>/views/", views_structure.saved_view_create, name="saved_view_create"),
    path("<int:pk>/views/<int:view_id>/", views_structure.saved_view, name="saved_view"),
    path("<int:pk>/views/<int:view_id>/delete/", views_structure.saved_view_delete, name="saved_view_delete"),
    # The map editor (journeys/views_editor.py): the edit affordances of journeys:map, for editors.
    path("<int:pk>/activity/", views_editor.activity, name="activity"),
    path("<int:pk>/editor/stages/add/", views_editor.stage_add, name="editor_stage_add"),
    path("<int:pk>/editor/lanes/add/", views_editor.lane_add, name="editor_lane_add"),
    path("<int:pk>/editor/cards/new/", views_editor.card_new, name="editor_card_new"),
    path("<int:pk>/editor/cards/add/", views_editor.card_add, name="editor_card_add"),
    path("<int:pk>/editor/trash/", views_editor.trash_list, name="editor_trash"),
    path("editor/stages/<int:element_id>/", views_editor.stage_edit, name="editor_stage"),
    path("editor/stages/<int:element_id>/move/", views_editor.stage_move, name="editor_stage_move"),
    path("editor/stages/<int:element_id>/delete/", views_editor.stage_delete, name="editor_stage_delete"),
    path("editor/stages/<int:stage_id>/steps/add/", views_editor.step_add, name="editor_step_add"),
    path("editor/steps/<int:element_id>/", views_editor.step_edit, name="editor_step"),
    path("editor/steps/<int:element_id>/move/", views_editor.step_move, name="editor_step_move"),
    path("editor/steps/<int:element_id>/delete/", views_editor.step_delete, name="editor_step_delete"),
    path("editor/lanes/<int:element_id>/", views_editor.lane_edit, name="editor_lane"),
    path("editor/lanes/<int:element_id>/move/", views_editor.lane_move, name="editor_lane_move"),
    path("editor/lanes/<int:element_id>/delete/", views_editor.lane_delete, name="editor_lane_delete"),
    path("editor/cards/<int:card_id>/", views_editor.card_view, name="editor_card"),
    path("editor/cards/<int:card_id>/edit/", views_editor.card_edit, name="editor_card_edit"),
    path("editor/cards/<int:card_id>/move/", views_editor.card_move, name="editor_card_move"),
    path("editor/cards/<int:card_id>/delete/", views_editor.card_delete, name="editor_card_delete"),
    # History and discussion (journeys/views_versions.py): versions, diff, restore, undo, comments.
    path("<int:pk>/versions/", views_versions.version_list, name="versions"),
    path("<int:pk>/versions/diff/", views_versions.version_diff, name="version_diff"),
    path("<int:pk>/versions/<int:version_id>/", views_versions.version_detail, name="version_detail"),
    path(
        "<int:pk>/versions/<int:version_id>/restore/", views_versions.version_restore, name="version_restore"
    ),
    path("<int:pk>/trash/<int:item_id>/restore/", views_versions.trash_restore, name="trash_restore"),
    path("<int:pk>/cards/<int:card_id>/comments/", views_versions.card_comments, name="card_comments"),
    path("<int:pk>/people/", views_versions.journey_people, name="people"),
]
