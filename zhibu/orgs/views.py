from django.http import HttpResponse


def org_tree(request):  # placeholder until the pages land
    return HttpResponse(status=501)


def org_detail(request, pk):  # placeholder until the pages land
    return HttpResponse(status=501)
