"""Portal: My data › My shop. The address of my personal shop (orders.shop_links, the same as the
API's GET /me/shop-link/), to copy, share or show as a QR code; orders placed there are mine and
show in My orders with their channel."""

from __future__ import annotations

from urllib.parse import quote

from django.http import HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from orders.selectors.shop import cooling_off_days
from orders.shop_links import shop_url
from portal.access import PortalRequest, distributor_required
from portal.qr import qr_svg


@distributor_required
@require_safe
def index(request: PortalRequest) -> HttpResponse:
    me = request.distributor
    link = shop_url(me.referral_code)
    share_text = _("Order online in my shop: %(link)s") % {"link": link}
    context = {
        "me": me,
        "shop_link": link,
        "qr": qr_svg(link, title=_("QR code of my shop")),
        "cooling_off_days": cooling_off_days(me),
        "whatsapp_url": "https://wa.me/?text=" + quote(share_text),
        "mailto_url": "mailto:?subject={}&body={}".format(
            quote(_("The shop of %(name)s") % {"name": me.name}), quote(share_text)
        ),
    }
    return render(request, "portal/shop_link.html", context)


urlpatterns = [
    path("", index, name="profile-shop"),
]
