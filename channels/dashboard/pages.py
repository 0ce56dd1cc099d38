"""The dashboard's pages drawn on the server: sign-in form, dashboard, filter form.

Plain HTML strings (no JavaScript); the channel wraps them in HTTP responses.
"""

from __future__ import annotations

from html import escape
from urllib.parse import urlencode

from bot.advisers.accounts import Adviser
from bot.indicators.aggregate import Filters, Indicators
from bot.indicators.labels import label, territories
from bot.indicators.render import body_html, period_label, territory_label
from bot.indicators.store import CHANNELS

PREFIX = "/webhooks/dashboard"


def alert_html(error: str) -> str:
    """An alert box announcing ``error`` (nothing when there is none)."""
    return (
        f'<div class="alert" role="alert"><p>{escape(error)}</p></div>' if error else ""
    )


def login_html(error: str = "") -> str:
    """The sign-in form page, with ``error`` above the form."""
    body = (
        '<main id="contenu" class="login">'
        "<h1>Tableau de bord du premier accueil</h1>"
        "<p>Réservé aux comptes « pilotage » du service public régional de "
        "l'orientation.</p>"
        f'{alert_html(error)}<form method="post" action="{PREFIX}/login">'
        '<p><label for="username">Identifiant</label>'
        '<input id="username" name="username" autocomplete="username" required></p>'
        '<p><label for="password">Mot de passe</label>'
        '<input id="password" name="password" type="password" '
        'autocomplete="current-password" required></p>'
        '<p><button type="submit">Se connecter</button></p></form></main>'
    )
    return page("Connexion — tableau de bord", body)


def dashboard_html(
    user: Adviser, filters: Filters, indicators: Indicators, error: str = ""
) -> str:
    """Filters, key figures, charts with tables, report buttons."""
    query = urlencode(filters.as_dict())
    year = filters.start.year
    report = f"{PREFIX}/report?"
    body = (
        f'<header class="top"><p>Connecté : {escape(user.name)} (pilotage)</p>'
        f'<p><a href="{PREFIX}/review">Messages à relire</a></p>'
        f'<form method="post" action="{PREFIX}/logout">'
        '<button type="submit">Se déconnecter'
        "</button></form></header>"
        '<main id="contenu"><h1>Tableau de bord du premier accueil</h1>'
        f"<p>{escape(territory_label(filters))}, {escape(period_label(filters))}"
        f"{' — ' + escape(CHANNELS[filters.channel]) if filters.channel else ''}. "
        f"Effectifs inférieurs à {indicators.min_cell} masqués ou regroupés. "
        '<a href="#rapport">Rapport annuel de ce territoire (PDF, HTML, CSV)</a>.'
        "</p>"
        f"{alert_html(error)}{filters_form(filters)}"
        f'<div class="cards">{body_html(indicators)}</div>'
        '<section id="rapport" class="card wide" aria-labelledby="h-report">'
        '<h2 id="h-report">'
        f"Rapport annuel {year} de ce territoire</h2><p>"
        f'<a class="button" href="{report}{report_query(filters, "pdf")}">'
        "Rapport PDF</a> "
        f'<a class="button" href="{report}{report_query(filters, "html")}">'
        "Rapport HTML</a> "
        f'<a class="button" href="{report}{report_query(filters, "csv")}">'
        "Tableau agrégé (CSV)</a></p>"
        f'<p class="note">Année civile {year}, même territoire ; données agrégées '
        f'seulement. <a href="{PREFIX}/api/indicators?{escape(query)}">'
        "Données en JSON</a>.</p></section>"
        "</main>"
    )
    return page("Tableau de bord — premier accueil", body)


def page(title: str, body: str) -> str:
    """A whole HTML page with the dashboard's styles."""
    return (
        '<!doctype html><html lang="fr"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title>"
        f'<link rel="stylesheet" href="{PREFIX}/static/dashboard.css"></head><body>'
        '<a class="skip" href="#contenu">Aller au contenu</a>'
        f"{body}</body></html>"
    )


def report_query(filters: Filters, kind: str) -> str:
    """Query string of the report of ``filters``' year and territory."""
    return escape(
        urlencode(
            {
                "year": filters.start.year,
                "region": filters.region,
                "departement": filters.departement,
                "format": kind,
            }
        )
    )


def filters_form(filters: Filters) -> str:
    """The filter form (GET): period, region, département, channel."""
    names = territories()

    def options(items: list[tuple[str, str]], selected: str, everything: str) -> str:
        return f'<option value="">{escape(everything)}</option>' + "".join(
            f'<option value="{escape(code)}"{" selected" if code == selected else ""}>'
            f"{escape(text)}</option>"
            for code, text in items
        )

    regions = sorted(((c, n) for c, n in names["region"].items()), key=lambda i: i[1])
    departements = sorted(
        (
            (c, label("departement", c))
            for c in names["departement"]
            if not filters.region
            or names["departement_region"].get(c) == filters.region
        ),
        key=lambda i: i[0],
    )
    channels = list(CHANNELS.items())
    return (
        f'<form class="filters" method="get" action="{PREFIX}/" aria-label="Filtres">'
        "<fieldset><legend>Filtres</legend>"
        '<p><label for="start">Du mois <span class="hint">(AAAA-MM)</span></label>'
        '<input id="start" name="start" type="month" '
        f'value="{filters.start:%Y-%m}"></p>'
        '<p><label for="end">Au mois <span class="hint">(AAAA-MM)</span></label>'
        f'<input id="end" name="end" type="month" value="{filters.end:%Y-%m}"></p>'
        f'<p><label for="region">Région</label><select id="region" name="region">'
        f"{options(regions, filters.region, 'Toutes les régions')}</select></p>"
        '<p><label for="departement">Département <span class="hint">(de la région '
        "affichée)</span></label>"
        '<select id="departement" name="departement">'
        f"{options(departements, filters.departement, 'Tous les départements')}"
        "</select></p>"
        f'<p><label for="channel">Canal</label><select id="channel" name="channel">'
        f"{options(channels, filters.channel, 'Tous les canaux')}</select></p>"
        '<p><button type="submit">Afficher</button></p></fieldset></form>'
    )
