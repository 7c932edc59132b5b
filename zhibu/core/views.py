from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from zhibu.orgs.selectors import org_roots


@login_required
def home(request):
    return render(request, "core/home.html", {"roots": org_roots(user=request.user)})
