from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from ybss.access.otp import needs_otp, otp_redirect
from ybss.access.roles import Cap
from ybss.access.scope import scope_for

# The first page each kind of user needs after logging in.
START_PAGES = [
    (Cap.ADDRESS_VIEW, "addresses:home"),
    (Cap.AUDIT_VIEW, "audit:events"),
    (Cap.USERS_MANAGE, "access:accounts"),
]


@login_required
def start(request: HttpRequest) -> HttpResponse:
    if needs_otp(request):
        return otp_redirect(request)
    scope = scope_for(request.user)
    if scope.can(Cap.CAMPAIGN_COLLECT) and not scope.can(Cap.CAMPAIGN_REVIEW):
        # Collectors open the app on the street: their work list first.
        return redirect("campaigns:work")
    for cap, page in START_PAGES:
        if scope.can(cap):
            return redirect(page)
    return render(request, "no_role.html", status=403)
