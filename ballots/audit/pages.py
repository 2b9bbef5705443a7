"""The hand audit's and the paper fallback's pages on a count.

- `.../audit`: the seed form (a sealed, closed count), then the sample, where each paper is,
  each ballot's state, the discrepancies with their image, the conclusion.
- `.../audit/screen/<1|2>`: one member's screen: the next sampled paper to read and the names
  in ballot order to mark as the paper shows; the machine's reading is never shown here.
- `.../enter`: the paper fallback: type the serial, toggle the struck names from the keyboard;
  the serials waiting for another member or in disagreement, with every entry.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import select
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from ballots.audit.comparison import CONCLUSION_NAMES
from ballots.audit.entries import enter_ballot, waiting_serials
from ballots.audit.risk import METHOD_NAMES
from ballots.audit.service import (
    audit_count,
    current_audit,
    record_reading,
    report_of,
    start_audit,
)
from ballots.counting import closing, counts
from ballots.counting.pages import (
    COUNT,
    VIEW,
    caches_of,
    count_url,
    load_count,
    page_context,
    path_number,
)
from ballots.models import CountedBallot
from ballots.proof.minutes import CHOICE_NAMES, MARGIN_NAMES
from ballots.reasons import COMMITTEE_REASONS
from congress.errors import CongressError, NotFound
from congress.web import actor, db_of, endpoint, render, settings_of, t

log = logging.getLogger(__name__)

MAX_FORM_TARGETS = 1000  # an executive-committee ballot has up to ~250 names


def _margin_text(tr: Any, margin: dict[str, Any], names: dict[str, str]) -> str:
    return str(
        tr.gettext(
            MARGIN_NAMES[margin["kind"]],
            winner=names.get(margin["winner"] or "", ""),
            loser=names.get(margin["loser"] or "", ""),
            margin=margin["margin"],
        )
    )


def _render_audit(request: Request, status: int = 200, **extra: Any) -> Response:
    tr = t(request)
    with db_of(request).session() as session:
        ctx, count = page_context(session, request, **extra)
        started = current_audit(session, count)
        ctx.update(
            audit=started,
            report=None,
            conclusions=CONCLUSION_NAMES,
            methods=METHOD_NAMES,
            default_limit=settings_of(request).audit_risk_limit,
        )
        if started is not None:
            report = report_of(session, count, started, caches_of(request).states)
            found = audit_count(session, count, caches_of(request).states)
            names = {i.id: f"{i.number}. {i.label}" for i in found.layout.items}
            ids = dict(
                session.execute(
                    select(CountedBallot.image_sha256, CountedBallot.id).where(
                        CountedBallot.count_id == count.id
                    )
                ).all()
            )
            ctx.update(
                report=report,
                margins=[_margin_text(tr, m, names) for m in report["margins"]],
                ballot_ids=ids,
                names=names,
            )
        return render(request, "ballots/audit.html", ctx, status=status)


@endpoint(*VIEW)
def audit_page(request: Request) -> Response:
    return _render_audit(request)


@endpoint(*COUNT, form=True)
def audit_start(request: Request, form: FormData) -> Response:
    tr = t(request)
    try:
        with db_of(request).write_session() as session:
            load_count(session, request)
            count = counts.lock(session, path_number(request.path_params["count_id"]))
            start_audit(
                session,
                count,
                str(form.get("seed", ""))[:200],
                str(form.get("risk_limit", "") or settings_of(request).audit_risk_limit)[:20],
                actor(request),
            )
    except CongressError as exc:
        return _render_audit(request, exc.status, error=exc.translated(tr.gettext))
    return RedirectResponse(f"{count_url(request)}/audit", status_code=303)


def _slot(request: Request) -> int:
    slot = path_number(request.path_params["slot"])
    if slot not in (1, 2):
        raise NotFound("not_found", "This page does not exist")
    return slot


def _render_screen(request: Request, status: int = 200, **extra: Any) -> Response:
    slot = _slot(request)
    with db_of(request).session() as session:
        ctx, count = page_context(session, request, **extra)
        started = current_audit(session, count)
        if started is None:
            raise NotFound("audit_not_started", "Enter the public seed to start the hand audit")
        report = report_of(session, count, started, caches_of(request).states)
        layout = audit_count(session, count, caches_of(request).states).layout
        # The next paper this screen has not read (or is asked to read again: a disagreement).
        todo = [
            s for s in report["sample"] if s["members"][slot - 1] is None or s["members_disagree"]
        ]
        wanted = str(request.query_params.get("ballot", ""))[:64]
        current = next((s for s in todo if s["ballot"] == wanted), todo[0] if todo else None)
        ctx.update(
            slot=slot,
            # Only where the paper is and who read it: never the machine's reading.
            current=(
                {k: current[k] for k in ("position", "ballot", "serial", "where", "members")}
                if current
                else None
            ),
            left=len(todo),
            size=report["sample_size"],
            items=[
                {
                    "number": i.number,
                    "label": i.label,
                    "targets": [x for x in layout.targets() if x.item == i.id],
                }
                for i in layout.items
            ],
            form=layout.form,
            choice_names=CHOICE_NAMES,
            reasons=COMMITTEE_REASONS,
            conclusion=CONCLUSION_NAMES[report["conclusion"]],
            member=str(request.query_params.get("member", ""))[:120],
        )
        return render(request, "ballots/audit_screen.html", ctx, status=status)


@endpoint(*COUNT)
def audit_screen(request: Request) -> Response:
    return _render_screen(request)


def _marked(form: FormData) -> list[str]:
    return [str(v)[:80] for v in form.getlist("marked")[:MAX_FORM_TARGETS]]


@endpoint(*COUNT, form=True)
def audit_read(request: Request, form: FormData) -> Response:
    tr = t(request)
    slot = _slot(request)
    member = str(form.get("member", ""))[:200]
    try:
        with db_of(request).write_session() as session:
            load_count(session, request)
            count = counts.lock(session, path_number(request.path_params["count_id"]))
            report = record_reading(
                session,
                count,
                str(form.get("ballot", ""))[:64],
                slot,
                member,
                _marked(form),
                str(form.get("invalid", "")) or None,
                actor(request),
            )
    except CongressError as exc:
        return _render_screen(request, exc.status, error=exc.translated(tr.gettext))
    if report["conclusion"] != "in_progress":
        try:  # the concluded audit goes into the stored bundle
            closing.seal_count(db_of(request), path_number(request.path_params["count_id"]))
        except CongressError as exc:
            log.warning("audit of count %s not sealed: %s", request.path_params["count_id"], exc)
    from urllib.parse import quote

    return RedirectResponse(
        f"{count_url(request)}/audit/screen/{slot}?member={quote(' '.join(member.split()))}",
        status_code=303,
    )


# ---------------------------------------------------------------- the paper fallback


def _render_entry(request: Request, status: int = 200, **extra: Any) -> Response:
    with db_of(request).session() as session:
        ctx, count = page_context(session, request, **extra)
        _, layout = counts.printed_layout(count.round)
        required = settings_of(request).hand_entries
        ctx.update(
            items=[
                {
                    "number": i.number,
                    "label": i.label,
                    "targets": [x for x in layout.targets() if x.item == i.id],
                }
                for i in layout.items
            ],
            form=layout.form,
            choice_names=CHOICE_NAMES,
            required=required,
            waiting=waiting_serials(session, count.id, required),
            member=str(request.query_params.get("member", ""))[:120],
            done=str(request.query_params.get("done", ""))[:40],
            done_state=str(request.query_params.get("state", ""))[:12],
        )  # fmt: skip
        return render(request, "ballots/hand_entry.html", ctx, status=status)


@endpoint(*VIEW)
def entry_page(request: Request) -> Response:
    return _render_entry(request)


@endpoint(*COUNT, form=True)
def entry_submit(request: Request, form: FormData) -> Response:
    tr = t(request)
    member = str(form.get("member", ""))[:200]
    try:
        with db_of(request).session() as session:
            load_count(session, request)  # the count of this congress, or 404
        answer = enter_ballot(
            db_of(request),
            path_number(request.path_params["count_id"]),
            str(form.get("serial", ""))[:64],
            member,
            _marked(form),
            actor(request),
        )
    except CongressError as exc:
        return _render_entry(request, exc.status, error=exc.translated(tr.gettext))
    from urllib.parse import urlencode

    query = urlencode({"member": " ".join(member.split()), "done": answer.serial,
                       "state": answer.state})  # fmt: skip
    return RedirectResponse(f"{count_url(request)}/enter?{query}", status_code=303)
