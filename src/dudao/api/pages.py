"""The account page for one's API token (接口令牌): when it was issued, when it expires, when it was last used, and a
button that rotates it. The key is shown once, right after it was issued (the page never shows an existing key, so a
look over the shoulder later reveals nothing)."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from . import tokens


@login_required
@require_http_methods(["GET", "POST"])
def token_page(request):
    new_key = None
    if request.method == "POST":  # CSRF-protected: the session, not a script, rotates here
        new_key = tokens.rotate(request.user).key
    context = {"info": tokens.info(request.user), "new_key": new_key, "days": tokens.lifetime().days}
    return render(request, "api/token.html", context)
