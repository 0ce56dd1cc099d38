"""Checks of the structure records (knowledge/structures/*.yaml).

Network, INSEE code, postcode, phone, e-mail, hours, area served and coordinates of
each structure, against the networks and the gazetteer; unique identifiers across the
files.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from yaml.nodes import Node

from bot.knowledge.checks import EMAIL, MAX_KM_FROM_COMMUNE, WARNING
from bot.knowledge.hours import HoursError, parse_hours
from bot.knowledge.model import (
    AreaServed,
    Structure,
    file_key,
    structure_fields,
    structure_from_plain,
)
from bot.knowledge.reader import RecordReader
from bot.places import Commune, haversine_km, normalize


class StructureChecker(RecordReader):
    """Turns the structure files into ``Structure`` records."""

    def structures(self, network_codes: set[str]) -> list[Structure]:
        """The valid structures of every file, each identifier once."""
        folder = self.folder / "structures"
        files = sorted(folder.glob("*.yaml")) + sorted(folder.glob("*.yml"))
        seen: dict[str, str] = {}
        structures = []
        for path in files:
            for line, node, rec in self.read(path, "structures", "structures"):
                if self.unique(rec, path, line, seen):
                    structure = self.structure(path, line, node, rec, network_codes)
                    if structure is not None:
                        structures.append(structure)
            for line, node, rec in self.incomplete:  # their other fields, this run
                self.unique(rec, path, line, seen)
                self.structure(path, line, node, rec, network_codes)
        return structures

    def unique(self, rec: dict, path: Path, line: int, seen: dict[str, str]) -> bool:
        """False (and an error) when the record's identifier is already used."""
        key = rec.get("id")
        if not isinstance(key, str):
            return True
        if key in seen:
            self.add(
                path,
                line,
                f"l'identifiant « {key} » est déjà utilisé ({seen[key]})",
                "donnez un identifiant unique à chaque structure",
            )
            return False
        seen[key] = f"{self.rel(path)}, ligne {line}"
        return True

    def structure(
        self, path: Path, line: int, node: Node, rec: dict, network_codes: set[str]
    ) -> Structure | None:
        """One structure record checked, or None when it has an error.

        An incomplete record (see ``RecordReader.read``) has its present fields
        checked and gives None.
        """
        errors_before = len(self.result.errors)
        at = lambda name: self.field_line(node, name, line)  # noqa: E731
        if "network" in rec and rec["network"] not in network_codes:
            self.add(
                path,
                at("network"),
                f"le réseau « {rec['network']} » n'existe pas",
                "utilisez un code de knowledge/networks.yaml (ex. mission_locale) "
                "ou ajoutez ce réseau",
            )
        commune = self.gazetteer.commune(rec["insee"]) if "insee" in rec else None
        if commune is None and "insee" in rec:
            self.add(
                path,
                at("insee"),
                f"le code INSEE « {rec['insee']} » ne correspond à aucune commune",
                "cherchez le code de la commune avec « python -m bot search "
                "<commune> » "
                "(attention : ce n'est pas le code postal)",
            )
        elif commune is not None and "postcode" in rec:
            self.postcode(path, at, rec, commune)
        phone = self.check_phone(rec.get("phone", ""), path, at("phone"))
        if rec.get("email") and not EMAIL.match(rec["email"]):
            self.add(
                path,
                at("email"),
                f"l'adresse e-mail « {rec['email']} » est invalide",
                "corrigez-la",
            )
        hours = None
        try:
            hours = parse_hours(rec.get("hours"))
        except HoursError as exc:
            self.add(
                path,
                at("hours"),
                f"horaires illisibles : {exc}",
                "corrigez les horaires ou supprimez « hours »",
            )
        verified = (
            self.parse_date(rec["verified"], path, at("verified"), "de vérification")
            if "verified" in rec
            else None
        )
        area = AreaServed(
            tuple(rec.get("area_served", {}).get("communes", [])),
            tuple(rec.get("area_served", {}).get("epci", [])),
            tuple(rec.get("area_served", {}).get("departements", [])),
        )
        for insee in area.communes:
            if self.gazetteer.commune(insee) is None:
                self.add(
                    path,
                    at("area_served"),
                    f"territoire : le code INSEE « {insee} » ne correspond à "
                    "aucune commune",
                    "corrigez le code",
                )
        for siren in area.epci:
            if siren not in self.gazetteer.epci_sirens:
                self.add(
                    path,
                    at("area_served"),
                    f"territoire : l'EPCI « {siren} » est inconnu",
                    "indiquez le SIREN de l'intercommunalité (9 chiffres)",
                )
        for code in area.departements:
            if code not in self.gazetteer.departements:
                self.add(
                    path,
                    at("area_served"),
                    f"territoire : le département « {code} » est inconnu",
                    'indiquez un code de département (ex. "37")',
                )
        latitude, longitude = rec.get("latitude"), rec.get("longitude")
        if (latitude is None) != (longitude is None):
            self.add(
                path,
                at("latitude" if latitude is not None else "longitude"),
                "il faut la latitude et la longitude, ou aucune des deux",
                "complétez ou supprimez les coordonnées",
            )
        if (
            len(self.result.errors) > errors_before
            or commune is None
            or verified is None
            or not {"name", "address", "network", "postcode"} <= rec.keys()
        ):
            return None
        if latitude is None or longitude is None:
            if commune.latitude is None or commune.longitude is None:
                self.add(
                    path,
                    line,
                    f"{commune.name} n'a pas de coordonnées connues",
                    "ajoutez latitude et longitude à la structure",
                )
                return None
            latitude, longitude = commune.latitude, commune.longitude
        elif commune.latitude is not None and commune.longitude is not None:
            distance = haversine_km(
                latitude, longitude, commune.latitude, commune.longitude
            )
            if distance > MAX_KM_FROM_COMMUNE:
                self.add(
                    path,
                    at("latitude"),
                    f"les coordonnées sont à {distance:.0f} km de {commune.name}",
                    "vérifiez latitude et longitude (ou l'ordre des deux)",
                    WARNING,
                )
        given = {
            item.name: rec[file_key(item)]
            for item, _kind in structure_fields()
            if file_key(item) in rec
        }
        return structure_from_plain(
            given,
            name=rec["name"].strip(),
            address=rec["address"].strip(),
            commune=rec.get("commune") or commune.name,
            insee=commune.insee,
            departement=commune.departement_code,
            latitude=float(latitude),
            longitude=float(longitude),
            phone=phone,
            hours=hours,
            area=area,
            verified=verified,
        )

    def postcode(
        self, path: Path, at: Callable[[str], int], rec: dict, commune: Commune
    ) -> None:
        """The postcode against the commune of the INSEE code.

        An error when the postcode is not in its département, or when it and the
        commune written in the record name another commune than the INSEE code (the
        public would read the wrong town: typically a postcode typed in « insee »);
        a warning when only the postcode is another commune's (a CEDEX code).
        """
        postcode = rec["postcode"]
        if postcode in commune.postcodes:
            return
        if postcode[:2] != commune.departement_code[:2] and not (
            commune.departement_code in ("2A", "2B") and postcode.startswith("20")
        ):
            self.add(
                path,
                at("postcode"),
                f"le code postal {postcode} n'est pas dans le département de "
                f"{commune.name} ({commune.departement_code})",
                "vérifiez le code postal et le code INSEE",
            )
            return
        others = self.gazetteer.for_postcode(postcode)
        if not others:
            return
        written = rec.get("commune") or ""
        if rec["insee"] == postcode or (
            written and normalize(written) != normalize(commune.name)
        ):
            meant = next(
                (c for c in others if normalize(c.name) == normalize(written)),
                others[0],
            )
            self.add(
                path,
                at("insee"),
                f"le code INSEE « {rec['insee']} » est celui de {commune.name}, mais "
                f"le code postal {postcode}"
                + (f" et la commune « {written} »" if written else "")
                + f" désignent {meant.name} (code INSEE {meant.insee})",
                f"écrivez le code INSEE de la commune (« {meant.insee} » pour "
                f"{meant.name}), pas le code postal ; sinon corrigez le code postal",
            )
            return
        self.add(
            path,
            at("postcode"),
            f"le code postal {postcode} n'est pas un code de {commune.name} "
            f"({', '.join(commune.postcodes)}) mais d'une autre commune",
            "vérifiez le code postal et le code INSEE (un code CEDEX est accepté)",
            WARNING,
        )
