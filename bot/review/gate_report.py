"""The French HTML report of one run of the quality gate (``bot.runtime.gate``).

Examples added (masked text, intent, who and when), figures before and after on each
held-out set and the personas, the decision and why, the sentences and personas
that regressed. A standalone page (no script, no external resource).
"""

from __future__ import annotations

from datetime import datetime
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.text import MONTHS

if TYPE_CHECKING:
    from bot.review.decision import Run, Tolerance

DECISIONS = {
    "en service": "Le nouveau modèle est en service.",
    "refusé": "Le nouveau modèle est refusé : le modèle en service reste en place.",
    "rien à faire": "Aucun exemple relu n'attendait : rien n'a changé.",
    "échec": "Le contrôle a échoué : le modèle en service reste en place.",
}

NO_DROP = "Aucune mesure n'a baissé au-delà de la tolérance."


def run_date(run_id: str) -> str:
    """The French date in words of a run id: « 6 décembre 2026 à 20 h 30 ».

    A run's id is its start, ``%Y%m%d-%H%M%S`` (the server's time); any other id is
    returned as it is.
    """
    try:
        when = datetime.strptime(run_id, "%Y%m%d-%H%M%S")
    except ValueError:
        return run_id
    day = "1er" if when.day == 1 else str(when.day)
    return (
        f"{day} {MONTHS[when.month - 1]} {when.year} à {when.hour} h {when.minute:02d}"
    )


def run_title(run_id: str) -> str:
    """« Contrôle de qualité du 6 décembre 2026 à 20 h 30 »."""
    return f"Contrôle de qualité du {run_date(run_id)}"


def rolled_back(run_id: str) -> str:
    """What a rollback did, in French: which model serves now."""
    return (
        f"Le modèle qui servait avant le contrôle de qualité du {run_date(run_id)} "
        "est de nouveau en service ; les serveurs le chargent d'eux-mêmes en quelques "
        "secondes."
    )


def _number(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}".replace(".", ",")


def _decimal(value: float) -> str:
    """A tolerance as written in French: 0,05."""
    return f"{value:g}".replace(".", ",")


def _personas_passed(results: dict[str, str]) -> str:
    return f"{sum(1 for p in results.values() if not p)} / {len(results)}"


def figures_table(run: Run) -> str:
    """Before / after rows for each held-out set and personas file."""
    rows = []
    for name, old in run.before.items():
        new = run.after.get(name)
        if name in ("personas", "entraînement") or new is None:
            continue
        for label, key in (
            ("macro-F1 des intentions", "intent_macro_f1"),
            ("exactitude des intentions", "intent_accuracy"),
            ("F1 des entités", "entity_f1"),
        ):
            rows.append(
                f"<tr><th scope='row'>{escape(name)} ({old['sentences']} phrases) : "
                f"{label}</th><td>{_number(old[key])}</td>"
                f"<td>{_number(new[key])}</td></tr>"
            )
    for file, old_results in run.before.get("personas", {}).items():
        new_results = run.after.get("personas", {}).get(file, {})
        rows.append(
            f"<tr><th scope='row'>Personas réussies ({escape(file)})</th>"
            f"<td>{_personas_passed(old_results)}</td>"
            f"<td>{_personas_passed(new_results) if new_results else '—'}</td></tr>"
        )
    if not rows:
        return "<p>Aucune mesure : le candidat n'a pas été entraîné.</p>"
    return (
        "<table><caption>Mesures avant (modèle en service) et après (candidat)"
        "</caption><thead><tr><th scope='col'>Mesure</th>"
        "<th scope='col'>Avant</th><th scope='col'>Après</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def _list(items: list[str], empty: str) -> str:
    if not items:
        return f"<p>{empty}</p>"
    return "<ul>" + "".join(f"<li>{item}</li>" for item in items) + "</ul>"


def _sign_test(run: Run) -> str:
    """One sentence on what chance explains of the held-out changes."""
    if run.sign_test_p is None:
        return ""
    lost, gained = len(run.regressed_sentences), len(run.improved_sentences)
    if lost <= gained:
        verdict = "aucune perte nette"
    else:
        verdict = (
            f"probabilité d'une perte nette au moins aussi grande si le "
            f"réentraînement déplaçait les réponses au hasard : "
            f"{_number(run.sign_test_p)}"
        )
    return (
        f"<p id='bilan'>Bilan : {lost} devenue(s) fausse(s), {gained} devenue(s) "
        f"juste(s) ; {verdict}.</p>"
    )


def report_html(run: Run, tolerance: Tolerance) -> str:
    """The whole report page."""
    labels = [
        f"« {escape(str(label.get('text', '')))} » → {escape(label['intent'])} "
        f"<small>({escape(label['by'])})</small>"
        for label in run.labels
    ]
    sentences = [
        f"{escape(r['set'])} : « {escape(r['text'])} » compris {escape(r['predicted'])}"
        + (
            " <strong>(proche d'un exemple relu)</strong>"
            if r.get("near_label")
            else ""
        )
        for r in run.regressed_sentences
    ]
    improved = [
        f"{escape(r['set'])} : « {escape(r['text'])} » (était compris "
        f"{escape(r['was'])})"
        for r in run.improved_sentences
    ]
    personas = [
        f"{escape(r['file'])} : {escape(r['persona'])} — {escape(r['problem'])}"
        for r in run.regressed_personas
    ]
    mode = (
        "affinage du modèle en service (une partie des époques)"
        if run.mode == "affinage"
        else "modèle réentraîné avec les exemples relus (étapes inchangées reprises "
        "du cache)"
    )
    rules = (
        "les phrases de test devenues fausses ne sont pas nettement plus nombreuses "
        "que celles devenues justes (test du signe : perte refusée si sa probabilité "
        f"due au hasard est sous {_decimal(tolerance.significance)}) ; "
        f"{tolerance.near_labels} au plus proche d'un exemple relu ; "
        f"{tolerance.newly_wrong} au plus en tout ; baisse tolérée par jeu de test : "
        f"macro-F1 {_decimal(tolerance.intent_f1)}, "
        f"exactitude {_decimal(tolerance.intent_accuracy)}, "
        f"F1 des entités {_decimal(tolerance.entity_f1)} ; "
        f"personas devenues fausses : {tolerance.personas} au plus ; chaque exemple "
        "relu doit être compris comme étiqueté, et aucune phrase d'entraînement "
        "proche ne doit changer d'intention"
    )
    decision = DECISIONS.get(run.decision, run.decision)
    return f"""<!doctype html>
<html lang="fr"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(run_title(run.id))} — premier accueil</title>
<style>body{{font-family:sans-serif;max-width:60rem;margin:1rem auto;padding:0 1rem;
line-height:1.5;color:#161616}}table{{border-collapse:collapse}}
th,td{{border:1px solid #666;padding:.25rem .5rem;text-align:left}}
.decision{{font-weight:bold;font-size:1.2rem}}</style></head>
<body><main>
<h1>{escape(run_title(run.id))}</h1>
<p class="decision" id="decision">{escape(decision)}</p>
<p>Lancé par {escape(run.by)} ; {escape(mode)} ; durée {round(run.seconds)} s.</p>
<h2>Pourquoi</h2>
{_list([escape(r) for r in run.reasons], NO_DROP)}
<h2>Exemples relus ({len(run.labels)})</h2>
{_list(labels, "Aucun.")}
<h2>Mesures</h2>
{figures_table(run)}
<h2>Phrases de test devenues fausses ({len(sentences)})</h2>
{_list(sentences, "Aucune.")}
<h2>Phrases de test devenues justes ({len(improved)})</h2>
{_list(improved, "Aucune.")}
{_sign_test(run)}
<h2>Personas devenues fausses</h2>
{_list(personas, "Aucune." if "personas" in run.after else "Personas non jouées.")}
<h2>Règles</h2>
<p>Le candidat n'est mis en service que si : {escape(rules)}.</p>
</main></body></html>
"""


def write_report(run: Run, path: Path, tolerance: Tolerance) -> None:
    """Write the report of ``run`` to ``path``."""
    path.write_text(report_html(run, tolerance), encoding="utf-8")


def summary(run: dict[str, Any]) -> str:
    """One French line about a run (for the command line and the review page)."""
    return f"{run.get('id')} : {run.get('decision')} — " + (
        "; ".join(run.get("reasons") or []) or "aucune baisse au-delà de la tolérance"
    )
