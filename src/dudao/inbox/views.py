"""The home page: 我的待办 (:mod:`.selection`) above the workbench of campaigns the user takes part in."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from dudao.collection.views import workbench

from .selection import inbox


@login_required
def home(request):
    found = inbox(request.user)
    return render(request, "inbox/home.html", {"inbox": found, "counts": found.counts(), **workbench(request.user)})
