"""Sign-in, sign-out, sign-up by invitation, password change and reset, the language switch."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from footprint_platform import mail
from footprint_platform.errors import InvalidInput, NotFound
from footprint_platform.extensions import db, limiter
from footprint_platform.links import public_url
from footprint_platform.schemas import OrganizationCreateSchema, parse
from footprint_platform.services.catalogue import accounts
from footprint_platform.services.exchange import onboarding, requests
from footprint_platform.web_common.context import client_ip, safe_next

bp = Blueprint("auth", __name__)


def _login_limit() -> str:
    return str(current_app.config["LOGIN_RATE_LIMIT"])


def _failed(response: Any) -> bool:
    return bool(response.status_code != 302)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"], deduct_when=_failed)
def login() -> Any:
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    error = None
    if request.method == "POST":
        email = request.form.get("email", "")[:254]
        user = accounts.authenticate(
            db.session, email, request.form.get("password", "")[:1024], client_ip()
        )
        if user is not None:
            session.clear()  # a fresh session on sign-in (no fixation)
            login_user(user, remember=bool(request.form.get("remember")))
            return redirect(safe_next(request.args.get("next"), url_for("home.index")))
        error = _("E-mail or password is wrong.")
    return render_template("auth/login.html", error=error), 401 if error else 200


@bp.route("/logout", methods=["POST"])
@login_required
def logout() -> Any:
    accounts.sign_out(db.session, current_user._get_current_object(), client_ip())
    logout_user()
    session.clear()
    flash(_("You are signed out."), "info")
    return redirect(url_for("home.index"))


@bp.route("/invitations/<token>", methods=["GET", "POST"])
def accept_invitation(token: str) -> Any:
    invitation = accounts.open_invitation(db.session, token)
    existing = accounts.find_user(db.session, invitation.email)
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        try:
            user = accounts.accept_invitation(
                db.session,
                token,
                request.form.get("display_name", ""),
                request.form.get("password", "")[:1024],
                client_ip(),
            )
        except InvalidInput as exc:
            errors = exc.errors
        else:
            session.clear()
            login_user(user)
            flash(_("Welcome to %(org)s.", org=invitation.organization.name_en), "success")
            return redirect(url_for("organizations.profile", org_id=invitation.organization_id))
    return render_template(
        "auth/accept.html",
        invitation=invitation,
        existing=existing,
        errors=errors,
        form=request.form,
    ), 422 if errors else 200


@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def forgot_password() -> Any:
    if request.method == "POST":
        ttl = timedelta(hours=current_app.config["PASSWORD_RESET_TTL_HOURS"])
        email = request.form.get("email", "")[:254]
        token = accounts.request_password_reset(db.session, email, ttl, client_ip())
        if token is not None:  # the same answer either way: no telling who has an account
            link = public_url("auth.reset_password", token=token)
            mail.send(
                email,
                _("Reset your Tanlian password"),
                _(
                    "Open this link within %(hours)d hours to choose a new password: %(link)s",
                    hours=current_app.config["PASSWORD_RESET_TTL_HOURS"],
                    link=link,
                ),
            )
        flash(_("If an account exists for this address, a reset link has been sent."), "info")
        return redirect(url_for("auth.login"))
    return render_template("auth/forgot.html")


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str) -> Any:
    accounts.open_password_reset(db.session, token)
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        try:
            accounts.reset_password(
                db.session, token, request.form.get("password", "")[:1024], client_ip()
            )
        except InvalidInput as exc:
            errors = exc.errors
        except NotFound as exc:
            flash(exc.message, "error")
            return redirect(url_for("auth.forgot_password"))
        else:
            flash(_("Your password is changed. Sign in with it."), "success")
            return redirect(url_for("auth.login"))
    return render_template("auth/reset.html", errors=errors), 422 if errors else 200


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
@limiter.limit(_login_limit, methods=["POST"])
def change_password() -> Any:
    """A new password ends every other session of the person; this browser stays signed in."""
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        user = current_user._get_current_object()
        try:
            accounts.change_password(
                db.session,
                user,
                request.form.get("current_password", "")[:1024],
                request.form.get("password", "")[:1024],
                client_ip(),
            )
        except InvalidInput as exc:
            errors = exc.errors
        else:
            session.clear()
            login_user(user)
            flash(_("Your password is changed. You are signed out everywhere else."), "success")
            return redirect(url_for("home.index"))
    return render_template("auth/password.html", errors=errors), 422 if errors else 200


@bp.route("/language/<code>", methods=["POST"])
def set_language(code: str) -> Any:
    if code in current_app.config["LANGUAGES"]:
        session["lang"] = code
        if current_user.is_authenticated:
            accounts.set_preferred_language(db.session, current_user, code)
    return redirect(safe_next(request.form.get("next"), url_for("home.index")))


@bp.route("/join/<token>", methods=["GET", "POST"])
def join_supplier(token: str) -> Any:
    """A supplier invited through a buyer's request registers its company (no sign-in)."""
    waiting = requests.open_join_link(db.session, token)
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        form = {**request.form.to_dict(), "roles": ["supplier"]}
        try:
            data = parse(OrganizationCreateSchema(), form)
            user = onboarding.join_as_supplier(
                db.session,
                token,
                data,
                request.form.get("display_name", ""),
                request.form.get("password", "")[:1024],
                client_ip(),
            )
        except InvalidInput as exc:
            errors = exc.errors
        else:
            session.clear()
            login_user(user)
            flash(_("Welcome to Tanlian. Your customer's request is in your inbox."), "success")
            return redirect(url_for("requests.inbox", org_id=user.memberships[0].organization_id))
    return render_template(
        "requests/join.html", waiting=waiting, errors=errors, form=request.form
    ), 422 if errors else 200
