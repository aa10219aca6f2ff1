"""The user's messages (``notifications:list``), opening one (marks it read), and which kinds they want."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import selectors, services


@login_required
def notification_list(request):
    page = Paginator(selectors.notifications(request.user), 50).get_page(request.GET.get("page"))
    return render(request, "notifications/list.html", {"page": page, "unread": selectors.unread_count(request.user)})


@login_required
@require_POST
def read(request, pk):
    """Mark one message read and go where it points (a site path only)."""
    found = selectors.notification(request.user, pk)
    if found is None:
        raise Http404
    services.mark_read(request.user, pk)
    link = found.link
    if link and url_has_allowed_host_and_scheme(link, allowed_hosts={request.get_host()}):
        return redirect(link)
    return redirect("notifications:list")


@login_required
@require_POST
def read_all(request):
    services.mark_read(request.user)
    return redirect("notifications:list")


@login_required
def preferences(request):
    if request.method == "POST":
        services.set_preferences(request.user, request.POST.getlist("kind"))
        messages.success(request, _("消息设置已保存"))
        return redirect("notifications:preferences")
    return render(
        request,
        "notifications/preferences.html",
        {"kinds": selectors.preferences(request.user), "email": request.user.email},
    )
