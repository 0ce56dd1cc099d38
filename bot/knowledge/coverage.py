"""Coverage report for staff.

Where networks have no structure, which records are too old.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from bot.knowledge.model import MAIN_NETWORKS, KnowledgeSet
from bot.places import Gazetteer, get_gazetteer

MAX_AGE = timedelta(days=365)
STALE_LISTED = 20
# Networks reached through the region's own service, not through local places.
NOT_LOCAL = {"region"}


def coverage_report(
    knowledge: KnowledgeSet,
    regions: list[str] | None = None,
    today: date | None = None,
    gazetteer: Gazetteer | None = None,
) -> dict:
    """Gaps per network and département of the regions; records older than 12 months."""
    gazetteer = gazetteer or get_gazetteer()
    today = today or date.today()
    limit = today - MAX_AGE
    region_codes = regions or [r.code for r in knowledge.regions]
    departements = sorted(
        code
        for code, (_name, region) in gazetteer.departements.items()
        if region in region_codes
    )
    covered: dict[str, set[str]] = {}
    # (département, network) -> [records, records verified within MAX_AGE]
    cells: dict[tuple[str, str], list[int]] = {}
    for s in knowledge.structures:
        deps = {s.departement, *s.area.departements}
        deps.update(
            c.departement_code for c in map(gazetteer.commune, s.area.communes) if c
        )
        deps.update(
            c.departement_code
            for siren in s.area.epci
            for c in gazetteer.epci_members(siren)
        )
        covered.setdefault(s.network, set()).update(deps)
        for dep in deps:
            cell = cells.setdefault((dep, s.network), [0, 0])
            cell[0] += 1
            cell[1] += s.verified is not None and s.verified >= limit
    shares = _shares(covered, departements, gazetteer)
    missing = []
    for network in knowledge.networks:
        if network.code in NOT_LOCAL:
            continue
        gaps = [d for d in departements if d not in covered.get(network.code, set())]
        if gaps:
            missing.append(
                {
                    "network": network.code,
                    "name": network.name,
                    "departements": [
                        {"code": d, "name": gazetteer.departements[d][0]} for d in gaps
                    ],
                    "entry_points": [e.url or e.phone for e in network.entry_points],
                }
            )

    # Gaps first: networks missing in the most départements come first.
    missing.sort(key=lambda item: -len(item["departements"]))
    table = {
        dep: {
            network: {
                "records": cells.get((dep, network), [0, 0])[0],
                "recent_share": _share(*reversed(cells.get((dep, network), [0, 0]))),
            }
            for network in MAIN_NETWORKS
        }
        for dep in departements
    }

    def old(value: date | None) -> bool:
        return value is None or value < limit

    return {
        "date": today.isoformat(),
        "regions": [
            {"code": r.code, "name": r.name}
            for r in knowledge.regions
            if r.code in region_codes
        ],
        "departements": departements,
        "coverage": shares,
        "table": table,
        "data_dates": _data_dates(knowledge),
        "structures_per_network": {
            n.code: len([s for s in knowledge.structures if s.network == n.code])
            for n in knowledge.networks
        },
        "missing": missing,
        "stale_structures": [
            {"id": s.id, "network": s.network, "name": s.name, "verified": s.verified}
            for s in knowledge.structures
            if old(s.verified)
        ],
        "stale_networks": [
            {"code": n.code, "verified": n.verified}
            for n in knowledge.networks
            if old(n.verified)
        ],
        "stale_sheets": [
            {"code": s.code, "reviewed": s.reviewed}
            for s in knowledge.sheets
            if old(s.reviewed)
        ],
        "stale_regions": [
            {"code": r.code, "name": r.name, "source": s.label, "date": s.date}
            for r in knowledge.regions
            if r.code in region_codes
            for s in r.sources
            if old(s.date)
        ],
    }


def _shares(
    covered: dict[str, set[str]], departements: list[str], gazetteer: Gazetteer
) -> dict:
    """Share of ``MAIN_NETWORKS`` with a local record, per département and region."""
    per_departement: dict[str, dict[str, Any]] = {}
    for code in departements:
        present = [n for n in MAIN_NETWORKS if code in covered.get(n, set())]
        per_departement[code] = {
            "name": gazetteer.departements[code][0],
            "networks": present,
            "share": round(len(present) / len(MAIN_NETWORKS), 2),
        }
    per_region: dict[str, dict] = {}
    for code in departements:
        region = gazetteer.departements[code][1]
        entry = per_region.setdefault(region, {"departements": [], "share": 0.0})
        entry["departements"].append(code)
    for entry in per_region.values():
        deps = entry["departements"]
        shares = [per_departement[d]["share"] for d in deps]
        entry["share"] = round(sum(shares) / len(shares), 2)
    return {
        "networks": list(MAIN_NETWORKS),
        "regions": per_region,
        "departements": per_departement,
    }


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 2) if whole else None


def _data_dates(knowledge: KnowledgeSet) -> dict[str, list[str]]:
    """Per network, the distinct years of its records' data (oldest first)."""
    years: dict[str, set[int]] = {}
    for s in knowledge.structures:
        if s.verified is not None:
            years.setdefault(s.network, set()).add(s.verified.year)
    return {code: [str(y) for y in sorted(v)] for code, v in sorted(years.items())}


SHORT = {
    "cio": "CIO",
    "suio": "SUIO",
    "mission_locale": "ML",
    "france_travail": "FT",
    "cap_emploi": "Cap",
    "apec": "Apec",
    "cep_actifs_occupes": "CEP",
    "transitions_pro": "TPro",
    "information_jeunesse": "IJ",
    "cidff": "CIDFF",
}


def table_lines(report: dict, markdown: bool = False) -> list[str]:
    """Records per département and main network, recent share and missing networks."""
    names = report["coverage"]["departements"]
    networks = report["coverage"]["networks"]
    heads = [
        "Département",
        *(SHORT.get(n, n) for n in networks),
        "< 12 mois",
        "Réseaux",
    ]
    rows = []
    for dep, row in report["table"].items():
        total = sum(c["records"] for c in row.values())
        recent = sum(
            round(c["records"] * (c["recent_share"] or 0)) for c in row.values()
        )
        present = sum(1 for c in row.values() if c["records"])
        rows.append(
            [
                f"{names[dep]['name']} ({dep})",
                *(str(row[n]["records"] or "—") for n in networks),
                f"{recent / total:.0%}" if total else "—",
                f"{present}/{len(networks)}",
            ]
        )
    if markdown:
        lines = ["| " + " | ".join(heads) + " |", "|" + "---|" * len(heads)]
        return lines + ["| " + " | ".join(r) + " |" for r in rows]
    widths = [max(len(r[i]) for r in [heads, *rows]) for i in range(len(heads))]
    return [
        "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(r))
        for r in [heads, *rows]
    ]


def _date(value) -> str:
    return value.strftime("%d/%m/%Y") if value else "date inconnue"


def format_report(report: dict) -> str:
    """The report as plain French text."""
    lines = [
        f"Rapport de couverture du {date.fromisoformat(report['date']):%d/%m/%Y}",
        "Régions : "
        + ", ".join(f"{r['name']} ({r['code']})" for r in report["regions"]),
        "",
    ]
    lines += [
        "Réseaux sans structure dans un département (l'assistant renvoie alors "
        "vers le site national du réseau et la ligne régionale) :",
    ]
    if not report["missing"]:
        lines.append("  aucun manque")
    for item in report["missing"]:
        deps = ", ".join(f"{d['name']} ({d['code']})" for d in item["departements"])
        where = ", ".join(e for e in item["entry_points"] if e)
        lines.append(f"  {item['name']} [{item['network']}] : {deps}")
        if where:
            lines.append(f"    où chercher : {where}")
    lines += [
        "",
        "Fiches par département et réseau (— : aucune ; « < 12 mois » : part des "
        "fiches vérifiées dans les 12 derniers mois) :",
        *("  " + line for line in table_lines(report)),
        "Dates des données par réseau : "
        + "; ".join(f"{n} {', '.join(y)}" for n, y in report["data_dates"].items()),
        "",
    ]
    coverage = report["coverage"]
    lines.append(
        f"Couverture : part des {len(coverage['networks'])} réseaux principaux "
        "ayant au moins une structure "
        f"locale ({', '.join(coverage['networks'])})"
    )
    names = {r["code"]: r["name"] for r in report["regions"]}
    for code, region in coverage["regions"].items():
        lines.append(f"  {names.get(code, code)} : {region['share']:.0%}")
        for dep in region["departements"]:
            item = coverage["departements"][dep]
            lines.append(
                f"    {item['name']} ({dep}) : {item['share']:.0%} "
                f"({len(item['networks'])}/"
                f"{len(coverage['networks'])})"
            )
    lines.append("")
    lines.append("Structures par réseau :")
    lines += [
        f"  {code} : {count}"
        for code, count in report["structures_per_network"].items()
    ]
    lines += [
        "",
        "Fiches de structures vérifiées il y a plus de 12 mois : "
        f"{len(report['stale_structures'])}",
    ]
    stale = report["stale_structures"]
    lines += [
        f"  {s['id']} ({s['name']}) : {_date(s['verified'])}"
        for s in stale[:STALE_LISTED]
    ]
    if len(stale) > STALE_LISTED:
        lines.append(
            f"  … et {len(stale) - STALE_LISTED} autre(s) : --json pour la liste, "
            "python -m bot campaign export pour les faire vérifier"
        )
    lines += ["", f"Réseaux à revérifier : {len(report['stale_networks'])}"]
    lines += [
        f"  {n['code']} : {_date(n['verified'])}" for n in report["stale_networks"]
    ]
    lines += ["", f"Fiches d'information à relire : {len(report['stale_sheets'])}"]
    lines += [f"  {s['code']} : {_date(s['reviewed'])}" for s in report["stale_sheets"]]
    lines += [
        "",
        f"Sources régionales de plus de 12 mois : {len(report['stale_regions'])}",
    ]
    lines += [
        f"  {r['name']} : {r['source']} ({_date(r['date'])})"
        for r in report["stale_regions"]
    ]
    return "\n".join(lines)
