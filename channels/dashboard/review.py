"""The review inbox's routes on the dashboard's blueprint (pilotage accounts).

``GET /review`` lists the messages to review (``bot.review.inbox``: the messages
derived in the server's tracker store, brought up to date first), ``POST
/review/label`` writes a label (``bot.review.labelling``), ``POST /review/retrain``
starts the quality gate and ``POST /review/rollback`` serves the previous model again
(``bot.runtime.gate``); docs/review.md.
"""

from __future__ import annotations

import asyncio
import logging
import os
import subprocess
import sys
from dataclasses import replace
from datetime import date, timedelta
from functools import partial
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import parse_qs, urlencode

from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.advisers.accounts import Adviser
from bot.config import PROJECT_ROOT
from bot.indicators.derive import paris_today
from bot.indicators.labels import checked_territory
from bot.indicators.periodic import tracker_url
from bot.review.gate_report import rolled_back, run_date
from bot.review.inbox import REASONS, Inbox, InboxFilters, inbox
from bot.review.inbox_derivation import derive_inbox
from bot.review.labelling import (
    ENTITIES,
    OUT_OF_SCOPE,
    Label,
    LabelError,
    examples,
    labelled_keys,
    pending_file,
    refused_keys,
    sheets,
    write_label,
)
from bot.runtime.gate import (
    GateBusy,
    GatePaths,
    default_paths,
    is_busy,
    kept_models,
    recent_runs,
    report_file,
    rollback,
)
from channels.dashboard.pages import PREFIX
from channels.dashboard.requests import form_fields
from channels.dashboard.review_pages import GateState, inbox_html

logger = logging.getLogger(__name__)

SCRIPT = Path(__file__).parent / "static" / "review.js"
# The inbox page runs its own script (selection of words); nothing else is allowed.
PAGE_POLICY = (
    "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
DEFAULT_DAYS = 30
# The gate's reports are standalone pages with their own style element.
REPORT_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; "
    "base-uri 'none'; form-action 'none'"
)
NOTICES = {
    "label": "Étiquette enregistrée.",
    "retrain": "Contrôle de qualité lancé : il prend quelques minutes. Rechargez la "
    "page pour voir son rapport.",
}
BUSY = "Un contrôle est déjà en cours ou le modèle se charge : patientez."


def gate_paths(request: Request) -> GatePaths | None:
    """The gate's paths for the model this server serves (None while it loads)."""
    agent = getattr(request.app.ctx, "agent", None)
    model = getattr(getattr(agent, "processor", None), "model_path", None)
    return default_paths(Path(model).parent) if model else None


def gate_state(paths: GatePaths | None) -> GateState:
    """What the page shows of the gate."""
    pending = sum(1 for _ in examples(pending_file()))
    if paths is None:
        return GateState(pending, serving=False, refused=refused_keys())
    kept = kept_models(paths)
    return GateState(
        pending,
        is_busy(paths),
        runs=tuple(recent_runs(paths)),
        refused=refused_keys(),
        previous=kept[-1] if kept else "",
    )


def start_gate(paths: GatePaths, by: str) -> None:
    """Run ``python -m bot review retrain`` in the background (its own process)."""
    command = [sys.executable, "-m", "bot", "review", "retrain", "--by", by]
    command += ["--models", str(paths.models_dir)]
    if os.environ.get("SPRO_REVIEW_PERSONAS", "1") == "0":
        command.append("--sans-personas")
    paths.review_dir.mkdir(parents=True, exist_ok=True)
    with open(paths.review_dir / "gate.log", "ab") as log:
        subprocess.Popen(
            command,
            cwd=PROJECT_ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )


class SignedIn(Protocol):
    """The dashboard channel, as far as these routes need it."""

    def user_for(self, request: Request) -> Adviser | None:
        """The signed-in pilotage account, or None."""


def inbox_filters(args: Any) -> InboxFilters:
    """Filters from the query string; ``ValueError`` (in French) when invalid."""
    today = paris_today()
    try:
        start = date.fromisoformat(str(args.get("start") or today - timedelta(30)))
        end = date.fromisoformat(str(args.get("end") or today))
    except ValueError:
        raise ValueError("Dates invalides (attendu : AAAA-MM-JJ).") from None
    if end < start or end - start > timedelta(days=366):
        raise ValueError("Choisissez une période d'un an au plus, début avant fin.")
    reason = str(args.get("reason") or "")
    if reason and reason not in REASONS:
        raise ValueError("Raison inconnue.")
    territory = checked_territory(
        str(args.get("region") or "").strip(),
        str(args.get("departement") or "").strip().upper(),
    )
    channel = str(args.get("channel") or "")
    return InboxFilters(start, end, channel=channel, reason=reason, **territory)


def number(value: Any, default: int) -> int:
    """A whole number of the query string (``default`` when absent or not one)."""
    try:
        return int(str(value))
    except ValueError:
        return default


def add_review_routes(bp: Blueprint, channel: SignedIn) -> None:
    """The inbox page, the labelling post and the page's script."""

    def url_of(request: Request) -> str | None:
        return tracker_url(getattr(request.app.ctx, "agent", None))

    async def inbox_page(
        request: Request,
        user: Adviser,
        args: Any,
        notice: str = "",
        error: str = "",
        confirm: bool = False,
    ) -> HTTPResponse:
        try:
            filters = inbox_filters(args)
        except ValueError as problem:
            filters, error = inbox_filters({}), str(problem)
        url = url_of(request)
        loop = asyncio.get_running_loop()
        found = Inbox([], 0, 0, 0)
        if url is None:
            error = error or (
                "Les conversations ne sont pas lisibles pour le moment "
                "(modèle en cours de chargement) : réessayez dans une minute."
            )
        else:
            try:  # the messages written since the last derivation
                await loop.run_in_executor(None, derive_inbox, url)
            except Exception:  # shown as derived so far; the next visit catches up
                logger.exception("Review inbox: derivation failed")
            keys = await loop.run_in_executor(None, labelled_keys)
            read = partial(
                inbox,
                url,
                filters,
                keys,
                page=number(args.get("page"), 1),
                opened=number(args.get("open"), 0),
            )
            found = await loop.run_in_executor(None, read)
        gate = await loop.run_in_executor(None, gate_state, gate_paths(request))
        gate = replace(gate, confirm=confirm)
        html = inbox_html(user, filters, found, sheets(), gate, notice, error)
        answer = response.html(html, status=400 if error else 200)
        answer.headers["Content-Security-Policy"] = PAGE_POLICY
        return answer

    @bp.route("/review", methods=["GET"])
    async def review(request: Request) -> HTTPResponse:
        user = channel.user_for(request)
        if user is None:
            return response.redirect(f"{PREFIX}/", status=303)
        done = str(request.args.get("done") or "")
        notice = NOTICES.get(done, "")
        run = str(request.args.get("run") or "")
        if done == "rollback" and run_date(run) != run:  # a run's id, as dated
            notice = rolled_back(run)
        confirm = request.args.get("confirm") == "rollback"
        return await inbox_page(request, user, request.args, notice, confirm=confirm)

    @bp.route("/review/label", methods=["POST"])
    async def label(request: Request) -> HTTPResponse:
        user = channel.user_for(request)
        if user is None:
            return response.redirect(f"{PREFIX}/", status=303)
        fields = form_fields(request)
        # The filters the form was posted from (kept for the page shown after).
        back = {k: v[0] for k, v in parse_qs(fields.get("back", "")).items()}
        decision = fields.get("decision", "label")
        intent = OUT_OF_SCOPE if decision == OUT_OF_SCOPE else fields.get("intent", "")
        entities = {name: fields.get(name, "") for name in ENTITIES if fields.get(name)}
        written = Label(
            fields.get("text", ""),
            intent,
            user.username,
            {} if intent == OUT_OF_SCOPE else entities,
            "" if intent == OUT_OF_SCOPE else fields.get("sheet", ""),
        )
        try:
            await asyncio.get_running_loop().run_in_executor(None, write_label, written)
        except LabelError as problem:
            return await inbox_page(request, user, back, error=str(problem))
        query = urlencode({**back, "done": "label"})
        return response.redirect(f"{PREFIX}/review?{query}", status=303)

    @bp.route("/review/retrain", methods=["POST"])
    async def retrain(request: Request) -> HTTPResponse:
        user = channel.user_for(request)
        if user is None:
            return response.redirect(f"{PREFIX}/", status=303)
        paths = gate_paths(request)
        if paths is None or is_busy(paths):
            return await inbox_page(request, user, {}, error=BUSY)
        start_gate(paths, user.username)
        return response.redirect(f"{PREFIX}/review?done=retrain", status=303)

    @bp.route("/review/rollback", methods=["POST"])
    async def roll_back(request: Request) -> HTTPResponse:
        user = channel.user_for(request)
        if user is None:
            return response.redirect(f"{PREFIX}/", status=303)
        if form_fields(request).get("confirm") != "oui":  # asked first, on the page
            confirm = f"{PREFIX}/review?confirm=rollback#rollback"
            return response.redirect(confirm, status=303)
        paths = gate_paths(request)
        if paths is None or is_busy(paths):
            return await inbox_page(request, user, {}, error=BUSY)
        try:
            restored = await asyncio.get_running_loop().run_in_executor(
                None, rollback, paths
            )
        except GateBusy:
            return await inbox_page(request, user, {}, error=BUSY)
        except FileNotFoundError as problem:  # « Aucun modèle précédent … »
            return await inbox_page(request, user, {}, error=str(problem))
        logger.info(
            "Review: %s rolled the model back (run %s)", user.username, restored
        )
        query = urlencode({"done": "rollback", "run": restored})
        return response.redirect(f"{PREFIX}/review?{query}", status=303)

    @bp.route("/review/runs/<run_id>", methods=["GET"])
    async def run_report(request: Request, run_id: str) -> HTTPResponse:
        user = channel.user_for(request)
        if user is None:
            return response.redirect(f"{PREFIX}/", status=303)
        paths = gate_paths(request)
        report = report_file(paths, run_id) if paths else None
        if report is None:
            return response.text("Rapport introuvable.", status=404)
        answer = await response.file(report, mime_type="text/html; charset=utf-8")
        answer.headers["Content-Security-Policy"] = REPORT_POLICY
        return answer

    @bp.route("/static/review.js", methods=["GET"])
    async def script(_: Request) -> HTTPResponse:
        return await response.file(SCRIPT, mime_type="text/javascript; charset=utf-8")
