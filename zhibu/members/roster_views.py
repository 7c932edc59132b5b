from django.http import HttpResponse


def roster_import(request):  # placeholder until roster import lands
    return HttpResponse(status=501)


def roster_template(request):  # placeholder until roster import lands
    return HttpResponse(status=501)


def roster_export(request):  # placeholder until roster import lands
    return HttpResponse(status=501)
