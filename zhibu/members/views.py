from django.http import HttpResponse


def member_list(request):  # placeholder until the pages land
    return HttpResponse(status=501)


def member_detail(request, pk):  # placeholder until the pages land
    return HttpResponse(status=501)
