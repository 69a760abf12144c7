"""Pages: thin views that check the form's shape, call the accounts services and render the result."""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from kezek.accounts import selectors as account_selectors
from kezek.accounts import services as account_services
from kezek.core.errors import error_text
from kezek.core.middleware import client_ip
from kezek.domain.errors import DomainError
from kezek.domain.iin import mask_iin
from kezek.web.forms import CodeForm, PhoneForm, StaffSigninForm

# The phone typed at step 1, kept server-side until the code is verified or the user starts again.
SIGNIN_PHONE_KEY = "kezek_signin_phone"
SIGNIN_NEXT_KEY = "kezek_signin_next"


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "web/home.html")


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _signin_step(request: HttpRequest, step: str, form, *, notice: str = "", alert: str = "") -> HttpResponse:
    """Render a sign-in step: the whole page, or only the step's fragment when htmx asked for it."""
    context = {"form": form, "step": step, "notice": notice, "alert": alert}
    template = f"web/_signin_{step}.html" if _is_htmx(request) else "web/signin.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


def _go(request: HttpRequest, url: str) -> HttpResponse:
    """Redirect; htmx follows HX-Redirect with a full page load instead of swapping a fragment."""
    if _is_htmx(request):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return HttpResponseRedirect(url)


def _sent_notice() -> str:
    # Same words whether or not the number is registered, so the page does not reveal who is.
    return _("If this number is registered, we have sent a 6-digit code to it by SMS.")


@require_http_methods(["GET", "POST"])
def parent_signin(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        if target := _safe_next(request):
            request.session[SIGNIN_NEXT_KEY] = target
        if request.user.is_authenticated:
            return HttpResponseRedirect(request.session.pop(SIGNIN_NEXT_KEY, None) or reverse("web:account"))
        if request.GET.get("step") == "code" and request.session.get(SIGNIN_PHONE_KEY):
            return _signin_step(request, "code", CodeForm(), notice=_sent_notice())
        request.session.pop(SIGNIN_PHONE_KEY, None)
        return _signin_step(request, "phone", PhoneForm())
    action = request.POST.get("step")
    if action == "code":
        return _signin_code(request)
    if action == "resend":
        return _signin_resend(request)
    return _signin_phone(request)


def _signin_phone(request: HttpRequest) -> HttpResponse:
    form = PhoneForm(request.POST)
    if not form.is_valid():
        return _signin_step(request, "phone", form)
    phone = form.cleaned_data["phone"]
    try:
        account_services.otp_request(phone=phone, ip=client_ip(request), language=get_language())
    except DomainError as exc:
        form.add_error("phone", error_text(exc))
        return _signin_step(request, "phone", form)
    request.session[SIGNIN_PHONE_KEY] = phone
    if _is_htmx(request):
        return _signin_step(request, "code", CodeForm(), notice=_sent_notice())
    return HttpResponseRedirect(reverse("web:parent-signin") + "?step=code")


def _restart(request: HttpRequest) -> HttpResponse:
    alert = _("Your sign-in has expired. Enter your phone number again.")
    return _signin_step(request, "phone", PhoneForm(), alert=alert)


def _signin_code(request: HttpRequest) -> HttpResponse:
    phone = request.session.get(SIGNIN_PHONE_KEY)
    if not phone:
        return _restart(request)
    form = CodeForm(request.POST)
    if not form.is_valid():
        return _signin_step(request, "code", form)
    try:
        user = account_services.otp_verify(phone=phone, code=form.cleaned_data["code"], ip=client_ip(request))
    except DomainError as exc:
        form.add_error("code", error_text(exc))
        return _signin_step(request, "code", form)
    request.session.pop(SIGNIN_PHONE_KEY, None)
    # session_start rotates the session key but keeps its data, so the page the parent came for survives.
    target = request.session.pop(SIGNIN_NEXT_KEY, None) or reverse("web:account")
    account_services.session_start(request=request, user=user)
    return _go(request, target)


def _signin_resend(request: HttpRequest) -> HttpResponse:
    phone = request.session.get(SIGNIN_PHONE_KEY)
    if not phone:
        return _restart(request)
    try:
        account_services.otp_request(phone=phone, ip=client_ip(request), language=get_language())
    except DomainError as exc:
        return _signin_step(request, "code", CodeForm(), alert=error_text(exc))
    return _signin_step(request, "code", CodeForm(), notice=_sent_notice())


def _safe_next(request: HttpRequest) -> str | None:
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return None


@require_http_methods(["GET", "POST"])
def staff_signin(request: HttpRequest) -> HttpResponse:
    form = StaffSigninForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            user = account_services.staff_authenticate(
                username=form.cleaned_data["username"], password=form.cleaned_data["password"], ip=client_ip(request)
            )
        except DomainError as exc:
            form.add_error(None, error_text(exc))
        else:
            account_services.session_start(request=request, user=user)
            default = reverse("admin:index") if user.is_staff else reverse("web:account")
            return HttpResponseRedirect(_safe_next(request) or default)
    return render(request, "web/staff_signin.html", {"form": form, "next": _safe_next(request) or ""})


@login_required(login_url="web:parent-signin")
def account(request: HttpRequest) -> HttpResponse:
    user = request.user
    person = getattr(user, "person", None)
    context = {
        "account_user": user,
        "masked_iin": mask_iin(person.iin) if person else "",
        "sessions": account_selectors.session_list(user=user, current_key=request.session.session_key),
    }
    return render(request, "web/account.html", context)


@require_POST
@login_required(login_url="web:parent-signin")
def session_end(request: HttpRequest, session_id: int) -> HttpResponse:
    try:
        account_services.session_end(actor=request.user, session_id=session_id)
    except DomainError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, _("The session was ended. That device is signed out."))
    return redirect("web:account")


@require_POST
def signout(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        account_services.signout(request=request)
    return redirect("web:home")


def admin_login(request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
    """The admin signs staff in through our staff sign-in, so its rate limits and audit apply."""
    target = _safe_next(request) or reverse("admin:index")
    return HttpResponseRedirect(f"{reverse('web:staff-signin')}?{urlencode({'next': target})}")


def admin_logout(request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
    """Signing out of the admin ends the tracked session like the site's own sign-out."""
    if request.method != "POST":
        return redirect("admin:index")
    return signout(request)


@require_http_methods(["GET"])
def language_use(request: HttpRequest, code: str) -> HttpResponse:
    """Switch the interface language by a plain link (used on cached public pages, which carry no CSRF token)."""
    target = request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        target = reverse("web:home")
    response = HttpResponseRedirect(target)
    if code in dict(settings.LANGUAGES):
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME, code, max_age=settings.LANGUAGE_COOKIE_AGE, samesite="Lax",
            secure=settings.SESSION_COOKIE_SECURE,
        )
    return response
