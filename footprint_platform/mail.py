"""Outgoing e-mail: through SMTP when MAIL_SERVER is set, else into an outbox folder.

A message can carry a one-time secret (a password-reset link), so it is never written to the
log. Without a mail server (development, tests) each message is a file in MAIL_OUTBOX_DIR
(instance/outbox by default), readable only by its owner, for the developer to open.
"""

from __future__ import annotations

import os
import smtplib
import uuid
from email.message import EmailMessage
from pathlib import Path

from flask import current_app


def send(to: str, subject: str, body: str) -> None:
    message = EmailMessage()
    message["From"] = current_app.config["MAIL_FROM"]
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
    server = current_app.config.get("MAIL_SERVER")
    if server:
        with smtplib.SMTP(server, int(current_app.config["MAIL_PORT"]), timeout=10) as smtp:
            smtp.starttls()
            user = current_app.config.get("MAIL_USERNAME")
            if user:
                smtp.login(user, os.environ.get("MAIL_PASSWORD", ""))
            smtp.send_message(message)
        return
    outbox = Path(
        current_app.config.get("MAIL_OUTBOX_DIR") or Path(current_app.instance_path) / "outbox"
    )
    outbox.mkdir(parents=True, exist_ok=True)
    path = outbox / f"{uuid.uuid4().hex}.eml"
    path.write_bytes(bytes(message))
    path.chmod(0o600)
