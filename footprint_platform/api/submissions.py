"""API resources: factor releases (read) and a supplier's submissions (its members only)."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from sqlalchemy import select

from footprint_platform.api.auth import api_actor, authenticate_api_request
from footprint_platform.api.blueprint import Blueprint
from footprint_platform.api.schemas_submission import (
    EmissionFactorSchema,
    EvidenceSchema,
    EvidenceUploadSchema,
    FactorQuerySchema,
    FactorReleaseSchema,
    SaveResultSchema,
    SubmissionContentSchema,
    SubmissionSchema,
    SubmissionStartSchema,
    SubmitSchema,
)
from footprint_platform.extensions import db, limiter
from footprint_platform.models import FactorRelease, InputKind
from footprint_platform.policy import Action, authorize
from footprint_platform.rate_limits import upload_limit, uploader_key
from footprint_platform.services import workflow
from footprint_platform.services.catalogue import catalog, factors
from footprint_platform.services.intake import evidence, history, submissions

blp = Blueprint("api_submissions", __name__, description="Factor releases and submissions")
blp.before_request(authenticate_api_request)
DOC = {"security": [{"bearerAuth": []}]}
# API errors name rows by their place in the `inputs` list: inputs[3].unit.
INPUTS = {kind.value: "inputs" for kind in InputKind}


@blp.route("/factor-releases")
class Releases(MethodView):
    @blp.doc(**DOC)
    @blp.response(200, FactorReleaseSchema(many=True))
    def get(self) -> Any:
        """Every published release of the emission-factor database, newest first."""
        authorize(api_actor(), Action.READ_CATALOGUE)
        return db.session.scalars(select(FactorRelease).order_by(FactorRelease.id.desc()))


@blp.route("/factor-releases/<string:version>/factors")
class ReleaseFactors(MethodView):
    @blp.doc(**DOC)
    @blp.arguments(FactorQuerySchema, location="query")
    @blp.response(200, EmissionFactorSchema(many=True))
    def get(self, args: dict[str, Any], version: str) -> Any:
        """The factors of one release (`latest` for the newest), with their sources."""
        authorize(api_actor(), Action.READ_CATALOGUE)
        release = factors.release_by_version(db.session, version)
        return db.session.scalars(factors.search_query(release.id, args["category"], args["q"]))


@blp.route("/organizations/<int:org_id>/submissions")
class OrgSubmissions(MethodView):
    @blp.doc(**DOC)
    @blp.response(200, SubmissionSchema(many=True))
    def get(self, org_id: int) -> Any:
        """The organization's submissions, every version (members only)."""
        catalog.get_organization(db.session, org_id)
        authorize(api_actor(), Action.VIEW_SUBMISSIONS, org_id)
        return db.session.scalars(submissions.submissions_query(org_id))


@blp.route("/products/<int:product_id>/submissions")
class ProductSubmissions(MethodView):
    @blp.doc(**DOC)
    @blp.arguments(SubmissionStartSchema)
    @blp.response(201, SubmissionSchema)
    def post(self, data: dict[str, Any], product_id: int) -> Any:
        """Start a draft for a period (pre-filled from the latest version of that period)."""
        return submissions.start_draft(
            db.session,
            api_actor(),
            product_id,
            data["period_start"],
            data["period_end"],
            channel="api",
        )


@blp.route("/submissions/<int:submission_id>")
class SubmissionResource(MethodView):
    @blp.doc(**DOC)
    @blp.response(200, SubmissionSchema)
    def get(self, submission_id: int) -> Any:
        """One submission with its inputs (members of its organization only)."""
        return submissions.read_submission(db.session, api_actor(), submission_id)

    @blp.doc(**DOC)
    @blp.arguments(SubmissionContentSchema)
    @blp.response(200, SaveResultSchema)
    def put(self, data: dict[str, Any], submission_id: int) -> Any:
        """Replace a draft's content, all or nothing. Errors name `inputs[n].field`."""
        rows = [{**row, "_row": n} for n, row in enumerate(data.pop("inputs"), start=1)]
        names = {
            k: "inputs"
            for k in (
                "electricity",
                "fuel",
                "process",
                "material",
                "transport",
                "coproduct",
                "waste",
            )
        }
        lock = data.pop("lock_version")
        checked = submissions.save_draft(
            db.session, api_actor(), submission_id, data, rows, lock, names, channel="api"
        )
        sub = submissions.get_submission(db.session, api_actor(), submission_id)
        return {"submission": sub, "warnings": [str(w) for w in checked.warnings]}


@blp.route("/submissions/<int:submission_id>/submit")
class SubmitResource(MethodView):
    @blp.doc(**DOC)
    @blp.arguments(SubmitSchema)
    @blp.response(200, SubmissionSchema)
    def post(self, data: dict[str, Any], submission_id: int) -> Any:
        """Submit the draft: it becomes immutable and supersedes the earlier version."""
        return workflow.submit(db.session, api_actor(), submission_id, data["lock_version"], INPUTS)


@blp.route("/submissions/<int:submission_id>/versions")
class Versions(MethodView):
    @blp.doc(**DOC)
    @blp.response(200, SubmissionSchema(many=True))
    def get(self, submission_id: int) -> Any:
        """Every version of the same product and period, oldest first."""
        submissions.read_submission(db.session, api_actor(), submission_id)
        return history.versions(db.session, api_actor(), submission_id)


@blp.route("/organizations/<int:org_id>/evidence")
class EvidenceUpload(MethodView):
    decorators = [limiter.limit(upload_limit, key_func=uploader_key)]

    @blp.doc(**DOC)
    @blp.arguments(EvidenceUploadSchema, location="files")
    @blp.response(201, EvidenceSchema)
    def post(self, files: dict[str, Any], org_id: int) -> Any:
        """Store an evidence file (PDF, image, Office, text; at most 10 MB); the same bytes
        again return the stored file. Cite its id in an input's `evidence_id`."""
        catalog.get_organization(db.session, org_id)
        upload = files["file"]
        data = upload.stream.read(evidence.MAX_EVIDENCE_BYTES + 1)
        return evidence.add_evidence(db.session, api_actor(), org_id, upload.filename or "", data)
