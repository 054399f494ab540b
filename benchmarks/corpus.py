"""A deterministic corpus of realistic, distinct wire stories for benchmarks and fault tests.

Stories are built from the paragraphs of the seed story and the agency samples, re-combined with different
datelines, places, figures and headlines, so every story has its own text (and its own uri and content hash)
while reading like wire copy. Sizes fall between about 1 and 5 KB. Formats: plain wire text and ninjs 3.x JSON.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import orjson

SHARED = Path(__file__).resolve().parents[1] / ".." / "shared"

CITIES = [
    ("BISHKEK", "Kyrgyzstan"), ("ALMATY", "Kazakhstan"), ("ASTANA", "Kazakhstan"), ("TASHKENT", "Uzbekistan"),
    ("MOSCOW", "Russia"), ("BEIJING", "China"), ("BRUSSELS", "Belgium"), ("BERLIN", "Germany"),
    ("PARIS", "France"), ("NAIROBI", "Kenya"), ("LAGOS", "Nigeria"), ("JAKARTA", "Indonesia"),
    ("MANILA", "the Philippines"), ("BRASILIA", "Brazil"), ("BUENOS AIRES", "Argentina"), ("OTTAWA", "Canada"),
    ("MEXICO CITY", "Mexico"), ("CANBERRA", "Australia"), ("TOKYO", "Japan"), ("SEOUL", "South Korea"),
    ("ANKARA", "Turkey"), ("CAIRO", "Egypt"), ("RIYADH", "Saudi Arabia"), ("NEW DELHI", "India"),
]
AGENCIES = ["TCA", "AFP", "DPA", "NTB", "TT", "AP", "REUTERS", "ANADOLU"]
TOPICS = ["trade talks", "energy prices", "border security", "grain exports", "a rail link", "water sharing",
          "customs rules", "a currency swap", "migrant workers", "a gas pipeline", "wheat tariffs", "tourism",
          "fishing quotas", "a power line", "airport slots", "fertiliser supplies", "a road corridor", "visa rules"]
VERBS = ["said", "told reporters", "announced", "confirmed", "warned", "stressed", "noted", "insisted"]
ROLES = ["Foreign Minister", "Trade Minister", "Energy Minister", "Prime Minister", "central bank governor",
         "chief negotiator", "deputy economy minister", "customs chief", "presidential spokesperson"]
NAMES = ["Aida Bekova", "Marat Sultanov", "Lena Vogel", "Pierre Martin", "Grace Otieno", "Tunde Adebayo",
         "Siti Rahman", "Jose Ramos", "Ana Souza", "Kenji Sato", "Min-jun Park", "Omar Haddad", "Priya Nair",
         "Elif Kaya", "Tom Walsh", "Olga Petrova", "Chen Wei", "Nadia Karimova", "Lucas Moreau", "Ines Duarte"]
THINGS = ["tariff schedule", "investment fund", "pipeline route", "quota system", "border crossing", "tender",
          "loan package", "inspection regime", "licensing rule", "price cap", "export ban", "port upgrade"]
ADJ = ["new", "revised", "long-delayed", "disputed", "joint", "interim", "three-year", "regional", "draft"]
TEMPLATES = [
    "{name}, the {role}, {verb} the {adj} {thing} would take effect in {month} if parliament approves it.",
    "The {adj} {thing} covers about {n} million dollars of goods a year, according to figures from {place}.",
    "Critics in {place} {verb} that the {thing} favours large firms and leaves {n} smaller traders exposed.",
    "Negotiators have met {k} times since {month}, and officials expect a {adj} text within {k2} weeks.",
    "{name} {verb} that {place} would not accept a {thing} that cut its share below {n} percent.",
    "Analysts at a {place} research group put the cost of delay at {n} million dollars by {month}.",
    "Lorry drivers waited up to {k} days at the crossing last {month}, local media in {place} reported.",
    "The talks on {topic} began after a {adj} dispute over the {thing} that lasted {k} months.",
    "Business groups in {place} welcomed the {adj} {thing} but asked for a {k}-month transition.",
    "{name} is due to travel to {place} next {month} to sign the {adj} {thing}, officials said.",
    "Under the plan, {n} inspectors would check shipments at {k} points along the route to {place}.",
    "Opposition lawmakers in {place} {verb} they would challenge the {thing} in court within {k2} weeks.",
]
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December"]


def _sentence(rng: random.Random, places: list[str], topic: str) -> str:
    return rng.choice(TEMPLATES).format(
        name=rng.choice(NAMES), role=rng.choice(ROLES), verb=rng.choice(VERBS), adj=rng.choice(ADJ),
        thing=rng.choice(THINGS), month=rng.choice(MONTHS), n=rng.randint(3, 990), k=rng.randint(2, 19),
        k2=rng.randint(2, 9), place=rng.choice(places), topic=topic,
    )


def _paragraphs() -> list[str]:
    """Real paragraphs from the seed story and the agency samples, mixed in now and then."""
    paras: list[str] = []
    seed = SHARED / "fixtures" / "seed-story-tca.txt"
    if seed.exists():
        text = seed.read_text(encoding="utf-8")
        body = text.split("BISHKEK (TCA) —", 1)[-1].split("\nSergey Kwan", 1)[0]
        paras += [p.strip() for p in body.split("\n\n") if len(p.strip()) > 60]
    for name in ("dpa_text.json", "ntb_text.json", "004_simple_text_article.json", "005_complex_text_article.json"):
        path = SHARED / "reference" / "samples" / name
        if not path.exists():
            continue
        doc = orjson.loads(path.read_bytes())
        for body in doc.get("bodies", []):
            text = re.sub(r"<[^>]+>", "\n", body.get("value", ""))
            paras += [p.strip() for p in text.split("\n") if len(p.strip()) > 60]
    return paras or ["Officials met on Tuesday to discuss the agenda for next month's regional summit."]


@dataclass(frozen=True, slots=True)
class CorpusStory:
    index: int
    agency: str
    fmt: str  # "text" or "ninjs"
    content_type: str
    payload: bytes


class Corpus:
    """``Corpus(seed).stories(n)`` yields n distinct stories; the same seed gives the same stories."""

    def __init__(self, seed: int = 7, ninjs_share: float = 0.25) -> None:
        self.seed = seed
        self.ninjs_share = ninjs_share
        self.paras = _paragraphs()

    def story(self, i: int) -> CorpusStory:
        rng = random.Random(self.seed * 1_000_003 + i)
        city, country = rng.choice(CITIES)
        agency = rng.choice(AGENCIES)
        topic = rng.choice(TOPICS)
        other_city, other_country = rng.choice(CITIES)
        figure = rng.randint(2, 950)
        headline = f"{country.title() if country.islower() else country} and {other_country} agree on {topic} " \
                   f"after {figure}-day talks (#{i})"
        lead = (f"{city.title()} officials {rng.choice(VERBS)} on {rng.choice(['Monday', 'Tuesday', 'Friday'])} "
                f"that talks with {other_country} on {topic} had produced a {figure}-point plan, "
                f"story reference {self.seed}-{i}.")
        places = [country, other_country, city.title(), other_city.title()]
        body = [lead]
        for _ in range(rng.randint(3, 14)):
            body.append(" ".join(_sentence(rng, places, topic) for _ in range(rng.randint(2, 4))))
        if rng.random() < 0.3:
            body.append(rng.choice(self.paras))
        if rng.random() < self.ninjs_share:
            doc = {
                "uri": f"urn:bench:{agency.lower()}:{self.seed}:{i}",
                "version": "1",
                "language": "en",
                "headlines": [{"role": "main", "value": headline}],
                "bodies": [{"role": "main", "contentType": "text/plain",
                            "value": f"{city} ({agency}) - " + "\n\n".join(body)}],
            }
            return CorpusStory(i, agency, "ninjs", "application/json", orjson.dumps(doc))
        text = f"{headline}\n\n{city} ({agency}) — " + "\n\n".join(body) + "\n"
        return CorpusStory(i, agency, "text", "text/plain; charset=utf-8", text.encode("utf-8"))

    def stories(self, n: int, start: int = 0) -> Iterator[CorpusStory]:
        for i in range(start, start + n):
            yield self.story(i)
