"""A person's task inbox, starting the submission a data request asks for, and the person's
e-mail notification settings."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from footprint_platform.extensions import db
from footprint_platform.models import NotificationMode
from footprint_platform.services.exchange import requests
from footprint_platform.services.insight import tasks
from footprint_platform.services.notify import notifications
from footprint_platform.web_common.context import actor

bp = Blueprint("tasks", __name__)


@bp.before_request
@login_required
def _signed_in() -> None:
    """A person's own tasks and settings: signed in; each list asks the policy per record."""


@bp.route("/tasks")
def inbox() -> Any:
    return render_template(
        "tasks/inbox.html", tasks=tasks.for_person(db.session, actor()), today=date.today()
    )


@bp.route("/requests/<int:request_id>/start", methods=["POST"])
def start_submission(request_id: int) -> Any:
    """Open the draft for the requested product and period (a new one, or the one under way)."""
    draft = requests.start_answer(db.session, actor(), request_id)
    flash(
        _("Draft for the requested product and period. Submit it, then answer the request."),
        "success",
    )
    return redirect(url_for("submissions.edit", submission_id=draft.id, step="general"))


@bp.route("/account/notifications", methods=["GET", "POST"])
def notifications_settings() -> Any:
    if request.method == "POST":
        notifications.set_preferences(
            db.session,
            current_user.id,
            {event: request.form.get(event, "") for event in notifications.EVENTS},
        )
        flash(_("Notification settings saved."), "success")
        return redirect(url_for(".notifications_settings"))
    return render_template(
        "tasks/notifications.html",
        events=notifications.EVENTS,
        modes=notifications.preferences(db.session, current_user.id),
        choices=[
            (NotificationMode.IMMEDIATE.value, _("Immediately")),
            (NotificationMode.DIGEST.value, _("In the daily digest")),
            (NotificationMode.OFF.value, _("Off")),
        ],
    )
