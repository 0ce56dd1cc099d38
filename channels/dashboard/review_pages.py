"""The review inbox page drawn on the server: filters, groups, labelling forms.

Works without JavaScript (every entity is a text field, the conversation around a
message is a link, the rollback's confirmation a second form); ``review.js`` only adds
« select words, then mark them as a commune or an age ».
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html import escape
from urllib.parse import urlencode

from bot.advisers.accounts import Adviser
from bot.indicators.labels import label, territories
from bot.indicators.store import CHANNELS
from bot.review.gate_report import run_date, run_title
from bot.review.inbox import REASONS, Group, Inbox, InboxFilters
from bot.review.labelling import ENTITIES, INTENTS, OUT_OF_SCOPE
from channels.dashboard.pages import PREFIX, alert_html, page

SPEAKERS = {"person": "Personne", "assistant": "Assistant"}


@dataclass(frozen=True)
class GateState:
    """The quality gate as the page shows it: labels waiting, runs, texts refused."""

    pending: int = 0
    busy: bool = False
    serving: bool = True  # False while this server has no model loaded
    runs: tuple[tuple[str, str], ...] = ()  # (run id, state), newest first
    refused: dict[str, str] = field(default_factory=dict)  # group key -> intent
    previous: str = ""  # the run before which the model kept last served ("" none)
    confirm: bool = False  # the rollback asked: its confirmation is shown


def _options(items: list[tuple[str, str]], selected: str, everything: str) -> str:
    """``<option>``s, the first one empty (``everything``) when given."""
    first = f'<option value="">{escape(everything)}</option>' if everything else ""
    return first + "".join(
        f'<option value="{escape(code)}"{" selected" if code == selected else ""}>'
        f"{escape(text)}</option>"
        for code, text in items
    )


def filters_form(filters: InboxFilters) -> str:
    """The filter form (GET): days, channel, territory, reason."""
    names = territories()
    regions = sorted(names["region"].items(), key=lambda item: item[1])
    departements = sorted(
        (c, label("departement", c))
        for c in names["departement"]
        if not filters.region or names["departement_region"].get(c) == filters.region
    )
    fields = (
        ("channel", "Canal", list(CHANNELS.items()), filters.channel, "Tous"),
        ("region", "Région", regions, filters.region, "Toutes"),
        ("departement", "Département", departements, filters.departement, "Tous"),
        ("reason", "Raison", list(REASONS.items()), filters.reason, "Toutes"),
    )
    selects = "".join(
        f'<p><label for="{name}">{text}</label><select id="{name}" name="{name}">'
        f"{_options(items, selected, everything)}</select></p>"
        for name, text, items, selected, everything in fields
    )
    return (
        f'<form class="filters" method="get" action="{PREFIX}/review" '
        'aria-label="Filtres"><fieldset><legend>Filtres</legend>'
        '<p><label for="start">Du</label><input id="start" name="start" type="date" '
        f'value="{filters.start.isoformat()}"></p>'
        '<p><label for="end">Au</label><input id="end" name="end" type="date" '
        f'value="{filters.end.isoformat()}"></p>'
        f'{selects}<p><button type="submit">Afficher</button></p></fieldset></form>'
    )


def _prediction(group: Group) -> str:
    """What the model predicted, in words."""
    intent = INTENTS.get(group.intent, group.intent or "aucune")
    found = ", ".join(
        f"{ENTITIES.get(name, name)} : « {value} »" for name, value in group.entities
    )
    return (
        f"Prédiction du modèle : {escape(intent)} (<code>{escape(group.intent)}</code>)"
        f", confiance {round(group.confidence * 100)}\u00a0%"
        + (f" ; entités : {escape(found)}" if found else " ; aucune entité")
    )


def page_link(query: str, **more: int) -> str:
    """The inbox's address with ``query`` and ``more``.

    ``more``: a page above the first, an opened conversation.
    """
    extra = urlencode(
        {k: v for k, v in more.items() if v and not (k == "page" and v == 1)}
    )
    return f"{PREFIX}/review?" + "&".join(part for part in (query, extra) if part)


def _context(group: Group, number: int, query: str, inbox: Inbox) -> str:
    """The masked conversation around the group's first message, or the link to it."""
    title = f"Conversation autour du message {number} (masquée)"
    if group.first != inbox.opened:
        link = page_link(query, open=group.first)
        return f'<p><a href="{escape(link)}#c-{number}">{title}</a></p>'
    lines = (
        "".join(
            f"<li><strong>{SPEAKERS[who]} :</strong> {escape(text)}</li>"
            for who, text in inbox.context
        )
        or "<li>Cette conversation vient d'être effacée.</li>"
    )
    return (
        f'<h3 id="c-{number}" tabindex="-1">{title}</h3>'
        f'<ol class="context">{lines}</ol>'
    )


def label_form(group: Group, number: int, query: str, sheets: dict[str, str]) -> str:
    """The labelling form of one group: intent, entities, sheet, « hors champ »."""
    n = number
    intents = [(code, f"{text} ({code})") for code, text in INTENTS.items()]
    predicted = group.intent if group.intent in INTENTS else ""
    entity_fields = "".join(
        f'<p><label for="{name}-{n}">{text} citée <span class="hint">(recopiez les '
        "mots du message, ou sélectionnez-les)</span></label>"
        f'<input id="{name}-{n}" name="{name}" data-entity="{name}" '
        'autocomplete="off"></p>'
        for name, text in ENTITIES.items()
    )
    return (
        f'<form method="post" action="{PREFIX}/review/label" class="label-form">'
        f'<input type="hidden" name="text" value="{escape(group.text)}">'
        f'<input type="hidden" name="back" value="{escape(query)}">'
        f"<fieldset><legend>Étiqueter le message {n}</legend>"
        f'<p><label for="intent-{n}">Intention</label>'
        f'<select id="intent-{n}" name="intent">'
        f"{_options(intents, predicted, '' if predicted else 'Choisissez')}"
        f"</select></p>{entity_fields}"
        f'<p><label for="sheet-{n}">Fiche d\'information <span class="hint">(pour une '
        "question d'information)</span></label>"
        f'<select id="sheet-{n}" name="sheet">'
        f"{_options(sorted(sheets.items()), '', 'Aucune')}</select></p>"
        '<p class="actions"><button type="submit" name="decision" value="label">'
        "Enregistrer l'étiquette</button> "
        f'<button type="submit" name="decision" value="{OUT_OF_SCOPE}" '
        'class="secondary">Hors champ</button></p></fieldset></form>'
    )


def refused_html(intent: str) -> str:
    """The mark of a text whose label a quality gate run refused."""
    if not intent:
        return ""
    return (
        '<p class="alert refused"><strong>Étiquette refusée</strong> par le contrôle '
        f"de qualité (étiqueté « {escape(INTENTS.get(intent, intent))} ») : voyez son "
        "rapport, puis étiquetez-le autrement ou laissez-le.</p>"
    )


def rollback_html(gate: GateState) -> str:
    """« Revenir au modèle précédent », then its confirmation (two steps)."""
    if not gate.previous:
        return "<p>Aucun modèle précédent n'est conservé.</p>"
    before = run_date(gate.previous)
    if not gate.confirm:
        return (
            f'<form method="get" action="{PREFIX}/review#rollback">'
            '<input type="hidden" name="confirm" value="rollback">'
            '<p><button type="submit" class="secondary">Revenir au modèle précédent'
            "</button></p></form>"
        )
    return (
        f'<form method="post" action="{PREFIX}/review/rollback" id="rollback" '
        'tabindex="-1"><fieldset>'
        "<legend>Revenir au modèle précédent ?</legend>"
        f"<p>Le modèle qui servait avant le contrôle de qualité du {before} sera "
        "remis en service et les exemples relus ajoutés par ce contrôle retirés des "
        "données d'entraînement. Les conversations en cours continuent.</p>"
        '<input type="hidden" name="confirm" value="oui">'
        '<p class="actions"><button type="submit">Confirmer le retour au modèle '
        f'précédent</button> <a href="{PREFIX}/review#gate">Annuler</a></p>'
        "</fieldset></form>"
    )


def gate_html(gate: GateState) -> str:
    """Labels waiting, the retrain and rollback buttons, the last runs' reports."""
    runs = "".join(
        f'<li><a href="{PREFIX}/review/runs/{escape(run_id)}">'
        f"{escape(run_title(run_id))}</a> : {escape(state)}</li>"
        for run_id, state in gate.runs
    )
    if not gate.serving:
        action = "<p>Aucun modèle chargé sur ce serveur pour le moment.</p>"
    elif gate.busy:
        action = "<p>Un contrôle est en cours : rechargez la page dans une minute.</p>"
    else:
        action = (
            "<p>Aucune étiquette n'attend : rien à réentraîner.</p>"
            if not gate.pending
            else (
                f'<form method="post" action="{PREFIX}/review/retrain">'
                '<p><button type="submit">Entraîner et contrôler un nouveau modèle'
                "</button></p></form>"
            )
        ) + rollback_html(gate)
    return (
        '<section class="card" aria-labelledby="gate"><h2 id="gate">Réentraînement '
        f"contrôlé</h2><p>{gate.pending} étiquette(s) en attente. Le nouveau modèle "
        "n'est mis en service que s'il ne fait pas moins bien que le modèle en service "
        "sur les jeux de test et les personas ; sinon le rapport dit ce qui a baissé "
        f"et les étiquettes reviennent ici, marquées refusées.</p>{action}"
        + (f"<ul>{runs}</ul>" if runs else "")
        + "</section>"
    )


def group_html(
    group: Group,
    number: int,
    query: str,
    sheets: dict[str, str],
    inbox: Inbox,
    refused: str = "",
) -> str:
    """One group: its text, count, reasons, prediction, context and form."""
    reasons = ", ".join(REASONS[r] for r in group.reasons)
    return (
        f'<section class="card" aria-labelledby="m-{number}">'
        f'<h2 id="m-{number}">Message {number} : '
        f'<q class="message-text">{escape(group.text)}</q></h2>'
        f"<p>{group.count} message{'s' if group.count > 1 else ''} ; {reasons}.</p>"
        f"{refused_html(refused)}"
        f"<p>{_prediction(group)}.</p>{_context(group, number, query, inbox)}"
        f"{label_form(group, number, query, sheets)}</section>"
    )


def pages_html(inbox: Inbox, query: str) -> str:
    """Which groups this page shows, and links to the pages before and after."""
    if inbox.pages == 1:
        return ""
    first, last = inbox.offset + 1, inbox.offset + len(inbox.groups)
    links = [
        f'<a href="{escape(page_link(query, page=n))}" rel="{rel}">{text}</a>'
        for n, rel, text in (
            (inbox.page - 1, "prev", "Groupes précédents"),
            (inbox.page + 1, "next", "Groupes suivants"),
        )
        if 1 <= n <= inbox.pages
    ]
    return (
        f'<nav class="pages" aria-label="Pages de groupes"><p>Groupes {first} à {last} '
        f"sur {inbox.total} (page {inbox.page} sur {inbox.pages}) : "
        f"{' '.join(links)}</p></nav>"
    )


def inbox_html(
    user: Adviser,
    filters: InboxFilters,
    inbox: Inbox,
    sheets: dict[str, str],
    gate: GateState,
    notice: str = "",
    error: str = "",
) -> str:
    """The whole inbox page."""
    query = urlencode(
        {k: str(v) for k, v in filters.__dict__.items() if v}, doseq=False
    )
    # The page of groups, kept by the links and forms of the groups shown.
    here = page_link(query, page=inbox.page).partition("?")[2]
    if inbox.hidden:
        listing = (
            f"<p>Moins de {inbox.min_cell} conversations sur ce territoire et cette "
            "période : les messages ne sont pas affichés, pour que personne ne puisse "
            "être reconnu. Élargissez le territoire ou la période.</p>"
        )
    elif not inbox.groups:
        listing = "<p>Aucun message à relire avec ces filtres.</p>"
    else:
        listing = "".join(
            group_html(group, n, here, sheets, inbox, gate.refused.get(group.key, ""))
            for n, group in enumerate(inbox.groups, inbox.offset + 1)
        ) + pages_html(inbox, query)
    status = f'<p class="notice" role="status">{escape(notice)}</p>' if notice else ""
    body = (
        f'<header class="top"><p>Connecté : {escape(user.name)} (pilotage)</p>'
        f'<p><a href="{PREFIX}/">Tableau de bord</a></p>'
        f'<form method="post" action="{PREFIX}/logout">'
        '<button type="submit">Se déconnecter</button></form></header>'
        '<main id="contenu"><h1>Messages à relire</h1>'
        "<p>Messages du public non compris, compris avec peu d'assurance, jugés "
        "hors champ, suivis d'un « Non » ou d'un passage à une personne. Textes "
        "masqués tels qu'ils sont conservés ; un message quitte cette liste quand "
        "sa conversation est effacée, sauf s'il a été étiqueté. Une étiquette ne "
        "change pas le modèle en service : elle attend le prochain réentraînement "
        "contrôlé.</p>"
        f"{status}{alert_html(error)}{gate_html(gate)}{filters_form(filters)}"
        f"<p>{inbox.total} groupe(s) de messages, {inbox.conversations} "
        f"conversation(s) sur la période.</p>{listing}</main>"
        f'<script src="{PREFIX}/static/review.js" defer></script>'
    )
    return page("Messages à relire — premier accueil", body)
