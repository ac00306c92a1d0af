"""Studies: the list, a study's page (its fields and its evidence, searched and paged like the library),
create, edit (a stale form answers with the conflict) and delete (a confirmation saying what goes with it
and that it can be undone; the studies page then offers "Undo", research/views/trash.py)."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_http_methods, require_safe

from accounts.forms import add_service_errors
from accounts.selectors import current_workspace
from core.errors import Conflict
from core.forms import base_values, labels_of, merge_stale

from .. import access, selectors, services
from ..forms import StudyDeleteForm, StudyForm
from ..models import Method, Study
from .common import follow, page_query, paginate
from .evidence import library_context
from .trash import remember_deleted, trash_context

STUDY_PAGE_QUERYSET = Study.objects.select_related("workspace")


@login_required
@require_safe
def study_list(request):
    """The current workspace's studies, newest first, with their method, dates, owner and evidence count."""
    workspace = current_workspace(request)
    if workspace is None:
        return render(request, "research/study_list.html", {"workspace": None})
    method = request.GET.get("method", "")
    method = method if method in Method.values else ""
    page = paginate(request, selectors.study_list(workspace_id=workspace.pk, method=method or None))
    return render(
        request,
        "research/study_list.html",
        {
            "workspace": workspace,
            "page": page,
            "page_query": page_query(request),
            "method": method,
            "methods": Method.choices,
            **trash_context(request, workspace),
        },
    )


@login_required
@require_safe
def study_detail(request, pk):
    """A study: its fields and its evidence (searchable, filtered and paged like the library)."""
    found = access.study_for(request.user, pk, queryset=STUDY_PAGE_QUERYSET)
    follow(request, found)
    workspace = found.workspace
    workspace.role = found.role
    context = library_context(request, workspace, fixed_study=found.pk)
    context["results_url"] = request.path
    partial = request.htmx and not request.htmx.history_restore_request
    if partial:
        response = render(request, "research/_evidence_results.html", context)
    else:
        context["study"] = selectors.study_detail(study=found)
        context.update(trash_context(request, workspace))
        response = render(request, "research/study_detail.html", context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def study_create(request):
    """A new study in the current workspace (editors and admins)."""
    workspace = current_workspace(request)
    if workspace is None:
        messages.info(request, "Create a workspace first: research lives in a workspace.")
        return redirect("accounts:workspace_create")
    if not access.can_write(workspace.role):
        raise PermissionDenied(access.WRITE_MESSAGE)
    form = StudyForm(request.POST or None, workspace=workspace, initial={"owner": request.user.pk})
    if request.method == "POST" and form.is_valid():
        try:
            study = services.study_create(workspace_id=workspace.pk, by=request.user, **form.study_fields())
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Study “{study.title}” created.")
            return redirect("research:study", pk=study.pk)
    return render(request, "research/study_form.html", {"form": form, "workspace": workspace})


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def study_edit(request, pk):
    """Edit a study. A form opened before someone else saved is merged per field with their version
    (core.forms.merge_stale); only fields both changed are left for the person to decide."""
    study = access.study_for(request.user, pk, need=access.WRITE, queryset=STUDY_PAGE_QUERYSET)
    follow(request, study)
    workspace = study.workspace
    initial = StudyForm.initial_of(study)
    form = StudyForm(request.POST or None, workspace=workspace, initial=initial)
    base = base_values(initial, request.POST)
    conflict, clashes = None, []
    if request.method == "POST" and form.is_valid():
        expected = form.cleaned_data["expected_version"]
        for _attempt in range(3):  # someone may save again between our reads: merge again
            try:
                services.study_update(
                    study_id=study.pk, by=request.user, expected_version=expected, **form.study_fields()
                )
            except Conflict as exc:
                conflict = exc.current
                theirs = StudyForm.initial_of(conflict)
                data, clashes = merge_stale(request.POST, theirs, conflict.version)
                form = StudyForm(data, workspace=workspace, initial=theirs)
                base = base_values(theirs)
                if clashes or not form.is_valid():
                    form.is_valid()
                    break
                expected = conflict.version
            except ValidationError as exc:
                add_service_errors(form, exc)
                break
            else:
                merged = " (merged with changes saved meanwhile)" if conflict is not None else ""
                messages.success(request, f"Study saved{merged}.")
                return redirect("research:study", pk=study.pk)
    return render(
        request,
        "research/study_form.html",
        {
            "form": form,
            "study": study,
            "workspace": workspace,
            "base": base,
            "conflict": conflict,
            "clashes": labels_of(form, clashes),
        },
        status=409 if conflict is not None else 200,
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def study_delete(request, pk):
    """Delete a study after a confirmation that says what goes with it (its evidence and their links) and that
    it can be undone; the studies page then offers "Undo"."""
    found = access.study_for(request.user, pk, need=access.WRITE, queryset=STUDY_PAGE_QUERYSET)
    follow(request, found)
    study = selectors.study_detail(study=found)
    form = StudyDeleteForm(request.POST or None, initial={"expected_version": study.version})
    if request.method == "POST" and form.is_valid():
        try:
            item = services.study_delete(
                study_id=study.pk, by=request.user, expected_version=form.cleaned_data["expected_version"]
            )
        except Conflict:
            form.add_error(
                None, "Someone changed this study since you opened this page. Check it and try again."
            )
        else:
            remember_deleted(request, item)
            return redirect("research:studies")
    links = selectors.study_visible_link_count(user=request.user, study_id=study.pk)
    context = {"study": study, "form": form, "links": links, "trash_days": settings.TRASH_RETENTION_DAYS}
    return render(request, "research/study_delete.html", context)
