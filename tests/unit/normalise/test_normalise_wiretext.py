"""Table-driven: datelines, bylines, captions, advisories and boilerplate in plain wire text, and
paragraphs that look similar but must NOT be cut."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from normalise_support import make_raw

from pipeline.stages.normalise import normalise
from pipeline.stages.normalise.wiretext import match_dateline, split_byline, strip_head, strip_trailing_boilerplate

BODY = "The minister said talks would resume next week after a pause of several months."
LAST = "Officials declined to comment further on the negotiations."


@dataclass(frozen=True)
class Case:
    id: str
    paragraphs: list[str]
    body: list[str]
    dateline: str | None = None
    place: str | None = None
    date: str | None = None
    byline: str | None = None
    signals: tuple[str, ...] = ()


CASES = [
    # --- datelines in the common shapes ---
    Case("agency-emdash", [f"BISHKEK (TCA) — {BODY}"], [BODY], "BISHKEK (TCA) —", "Bishkek"),
    Case("agency-endash", [f"WASHINGTON (AP) – {BODY}"], [BODY], "WASHINGTON (AP) –", "Washington"),
    Case("agency-hyphen", [f"WASHINGTON (AP) - {BODY}"], [BODY], "WASHINGTON (AP) -", "Washington"),
    Case("agency-double-hyphen", [f"GROSSETO, Italy (AP) -- {BODY}"], [BODY], "GROSSETO, Italy (AP) --", "Grosseto"),
    Case(
        "reuters-date",
        [f"MOSCOW, Nov 29 (Reuters) - {BODY}"],
        [BODY],
        "MOSCOW, Nov 29 (Reuters) -",
        "Moscow",
        "Nov 29",
    ),
    Case(
        "afp-region",
        [f"GAZA CITY, Palestinian Territories (AFP) - {BODY}"],
        [BODY],
        "GAZA CITY, Palestinian Territories (AFP) -",
        "Gaza City",
    ),
    Case(
        "afp-region-date",
        [f"Gaza City, Palestinian Territories, May 16, 2021 (AFP) - {BODY}"],
        [BODY],
        "Gaza City, Palestinian Territories, May 16, 2021 (AFP) -",
        "Gaza City",
        "May 16, 2021",
    ),
    Case("multiword-caps", [f"NEW YORK (AP) — {BODY}"], [BODY], "NEW YORK (AP) —", "New York"),
    Case("apostrophe-place", [f"N'DJAMENA (Reuters) - {BODY}"], [BODY], "N'DJAMENA (Reuters) -", "N'Djamena"),
    Case("dotted-place", [f"ST. PETERSBURG (TASS) — {BODY}"], [BODY], "ST. PETERSBURG (TASS) —", "St. Petersburg"),
    Case("hyphen-place", [f"PORT-AU-PRINCE (AP) — {BODY}"], [BODY], "PORT-AU-PRINCE (AP) —", "Port-Au-Prince"),
    Case("caps-no-agency-emdash", [f"LONDON — {BODY}"], [BODY], "LONDON —", "London"),
    Case("caps-date-hyphen", [f"PARIS, June 3 - {BODY}"], [BODY], "PARIS, June 3 -", "Paris", "June 3"),
    Case("connector-place", [f"Rio de Janeiro (AFP) - {BODY}"], [BODY], "Rio de Janeiro (AFP) -", "Rio de Janeiro"),
    Case("unicode-place", [f"ZÜRICH (SDA) — {BODY}"], [BODY], "ZÜRICH (SDA) —", "Zürich"),
    # --- captions before the dateline, bylines, advisories ---
    Case(
        "caption-before-dateline",
        ["President X (left) meets Y in Moscow (president.kg)", f"BISHKEK (TCA) — {BODY}"],
        [BODY],
        "BISHKEK (TCA) —",
        "Bishkek",
    ),
    Case(
        "by-line-first",
        ["By Jane Doe", f"WASHINGTON (AP) — {BODY}"],
        [BODY],
        "WASHINGTON (AP) —",
        "Washington",
        byline="Jane Doe",
    ),
    Case("by-line-no-dateline", ["By Jane Doe", BODY, LAST], [BODY, LAST], byline="Jane Doe"),
    Case("by-line-credit", ["By JANE DOE", "AP Business Writer", BODY, LAST], [BODY, LAST], byline="JANE DOE"),
    Case(
        "by-line-credit-then-dateline",
        ["By Jane Doe", "Associated Press", f"WASHINGTON (AP) — {BODY}"],
        [BODY],
        "WASHINGTON (AP) —",
        "Washington",
        byline="Jane Doe",
    ),
    Case(
        "correction-note-kept",
        [BODY, LAST, "This story has been corrected to show the talks resume next week."],
        [BODY, LAST, "This story has been corrected to show the talks resume next week."],
        signals=("correction",),
    ),
    Case(
        "short-second-paragraph-kept",
        ["By Jane Doe", "Talks resumed.", LAST],
        ["Talks resumed.", LAST],
        byline="Jane Doe",
    ),
    Case("by-line-after-dateline", ["By Jane Doe and John Roe", BODY], [BODY], byline="Jane Doe and John Roe"),
    Case("recasts", ["RECASTS with new death toll", BODY, LAST], [BODY, LAST], signals=("update",)),
    Case("updates", ["UPDATES with minister's comments", BODY], [BODY], signals=("update",)),
    Case("corrects", ["CORRECTS spelling of name in paragraph 3", BODY], [BODY], signals=("correction",)),
    Case("editors-note", ["EDITOR'S NOTE — This story contains graphic details.", BODY], [BODY]),
    Case("reuters-paren-advisory", ["(Adds quotes from ministry)", BODY], [BODY], signals=("update",)),
    Case(
        "advisory-before-dateline",
        ["UPDATES with casualty figures", f"KYIV (Reuters) - {BODY}"],
        [BODY],
        "KYIV (Reuters) -",
        "Kyiv",
        signals=("update",),
    ),
    # --- sign-offs and trailing boilerplate ---
    Case("signoff-name-agency", [BODY, LAST, "Sergey Kwan", "TCA"], [BODY, LAST], byline="Sergey Kwan"),
    Case("signoff-combined", [BODY, LAST, "Sergey Kwan / TCA"], [BODY, LAST], byline="Sergey Kwan"),
    Case(
        "signoff-then-bio",
        [BODY, LAST, "Sergey Kwan", "TCA", "Sergey Kwan has worked for the paper since 1999.", "divider"],
        [BODY, LAST],
        byline="Sergey Kwan",
    ),
    Case("view-more", [BODY, LAST, "View more articles fromTCA"], [BODY, LAST]),
    Case("share-links", [BODY, LAST, "Share this article", "Related: Talks stall again"], [BODY, LAST]),
    Case("copyright", [BODY, LAST, "© 2024 The Agency. All rights reserved."], [BODY, LAST]),
    Case("copyright-word", [BODY, LAST, "Copyright 2024 Example News"], [BODY, LAST]),
    Case("desk-code", [BODY, LAST, "bur-dar-gl/fz"], [BODY, LAST]),
    Case(
        "reuters-credit",
        [BODY, LAST, "(Reporting by Jane Doe; Editing by John Roe)"],
        [BODY, LAST],
        byline="Jane Doe",
    ),
    Case("follow-us", [BODY, LAST, "Follow us on Twitter @agency"], [BODY, LAST]),
    Case("ends-marker", [BODY, LAST, "(END)"], [BODY, LAST]),
    Case("contributed", [BODY, LAST, "Jane Roe in Cairo contributed to this report."], [BODY, LAST]),
    Case("originally-appeared", [BODY, LAST, "This article originally appeared on The Daily."], [BODY, LAST]),
    Case("loader", [BODY, LAST, "Loading comments..."], [BODY, LAST]),
    Case("read-it-there", [BODY, LAST, "Les faktasjekken på Example.no"], [BODY, LAST]),
    Case("read-it-there-en", [BODY, LAST, "Read the full report at example.org/"], [BODY, LAST]),
    Case(
        "les-sentence-kept",
        [BODY, LAST, "Les manifestants sont restés devant le siège de la société."],
        [BODY, LAST, "Les manifestants sont restés devant le siège de la société."],
    ),
    Case("media-lead-in", [BODY, LAST, "Watch the launch in the video below:"], [BODY, LAST]),
    Case(
        "embed-labels",
        [BODY, BODY, BODY, BODY, LAST, "Embed (large):", "Embed (small):"],
        [BODY, BODY, BODY, BODY, LAST],
    ),
    Case("bracket-labels", [BODY, LAST, "【纠错】 【责任编辑:王明 】"], [BODY, LAST]),
    Case("editor-credit-zh", [BODY, LAST, "（编辑：王明 李华）"], [BODY, LAST]),
    Case("dash-by-follow", [BODY, LAST, "-- By Jane Roe Follow @janeroe"], [BODY, LAST], byline="Jane Roe"),
    Case("follow-writer", [BODY, LAST, "Follow Jane Roe on Twitter."], [BODY, LAST], byline="Jane Roe"),
    Case("write-to", [BODY, LAST, "Write to Jane Roe at jane.roe@example.com"], [BODY, LAST], byline="Jane Roe"),
    Case("reached-at", [BODY, LAST, "Jane Roe can be reached at jroe@example.com."], [BODY, LAST], byline="Jane Roe"),
    Case("address-only", [BODY, LAST, "jroe@example.com"], [BODY, LAST]),
    Case("address-run-in", [BODY, f"{LAST} jroe@example.com"], [BODY, LAST]),
    Case(
        "cjk-dateline-reporter",
        ["新华社北京11月17日电（记者王明）记者17日从国家卫生健康委获悉，相关部门持续保障临床用药需求。", LAST],
        ["记者17日从国家卫生健康委获悉，相关部门持续保障临床用药需求。", LAST],
        "新华社北京11月17日电",
        "北京",
        "11月17日",
        byline="王明",
    ),
    Case("name-title-address", [BODY, LAST, "최윤호 기자 uknow@example.kr"], [BODY, LAST], byline="최윤호"),
    Case("reporting-by", [BODY, LAST, "Additional reporting by Jane Roe in Cairo"], [BODY, LAST]),
    Case("con-informacion-de", [BODY, LAST, "Con información de Ana Ruiz y Luis G. Gil."], [BODY, LAST]),
    Case(
        "reporting-sentence-kept",
        [BODY, "Reporting by the council found the roads were unsafe. It asked for money.", LAST],
        [BODY, "Reporting by the council found the roads were unsafe. It asked for money.", LAST],
    ),
    Case(
        "contributed-sentence-kept",
        [BODY, "Several donors contributed to the fund, which reached $2 million.", LAST],
        [BODY, "Several donors contributed to the fund, which reached $2 million.", LAST],
    ),
    Case(
        "address-in-sentence-kept",
        [BODY, "Readers can write to the council at letters@example.org with their views on the plan."],
        [BODY, "Readers can write to the council at letters@example.org with their views on the plan."],
    ),
    # --- must NOT be cut ---
    Case(
        "updates-sentence-kept",
        ["Updates to the tax code were approved on Monday.", LAST],
        ["Updates to the tax code were approved on Monday.", LAST],
    ),
    Case(
        "no-dateline-lowercase",
        ["Washington has long said it would act.", LAST],
        ["Washington has long said it would act.", LAST],
    ),
    Case("nato-dash-kept", [f"NATO — the alliance — said {BODY}", LAST], [f"NATO — the alliance — said {BODY}", LAST]),
    Case("caps-hyphen-word-kept", [f"COVID-19 cases rose again. {BODY}"], [f"COVID-19 cases rose again. {BODY}"]),
    Case(
        "parenthetical-mid-sentence-kept",
        [f"The company (Reuters) said {BODY}"],
        [f"The company (Reuters) said {BODY}"],
    ),
    Case(
        "by-sentence-kept",
        ["By the end of the year, prices had doubled.", LAST],
        ["By the end of the year, prices had doubled.", LAST],
    ),
    Case("short-last-sentence-kept", [BODY, "No one was hurt."], [BODY, "No one was hurt."]),
    Case(
        "quoted-name-paragraph-kept",
        [BODY, "“We will win,” said Maria Lopez.", LAST],
        [BODY, "“We will win,” said Maria Lopez.", LAST],
    ),
    Case(
        "copyright-mid-story-kept",
        ["Copyright law was changed in 2019, the court said.", BODY, LAST],
        ["Copyright law was changed in 2019, the court said.", BODY, LAST],
    ),
    Case(
        "updates-lowercase-kept",
        ["Updated figures show growth slowed.", LAST],
        ["Updated figures show growth slowed.", LAST],
    ),
    Case(
        "share-sentence-kept",
        [BODY, "Share prices fell 3% on the news.", LAST],
        [BODY, "Share prices fell 3% on the news.", LAST],
    ),
    Case(
        "single-paragraph-kept",
        ["© symbols appear in this one-paragraph story."],
        ["© symbols appear in this one-paragraph story."],
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_wire_text_case(case: Case) -> None:
    text = "A headline for the story\n\n" + "\n\n".join(case.paragraphs) + "\n"
    story = normalise(make_raw(text, agency="TCA"))
    assert story.body == case.body
    if case.dateline is None:
        assert story.dateline is None
    else:
        assert story.dateline is not None
        assert story.dateline.text == case.dateline
        assert story.dateline.place == case.place
        assert story.dateline.date == case.date
    assert story.byline == case.byline
    assert tuple(story.signals) == case.signals


def test_at_least_thirty_cases() -> None:
    assert len(CASES) >= 30
    assert sum(1 for c in CASES if c.id.endswith("-kept")) >= 8


@pytest.mark.parametrize(
    "paragraph",
    [
        "US — China trade talks resumed on Monday.",
        "UPDATE — the figures were revised.",
        "Mr Smith (Reuters) said nothing.",
        "The minister, speaking in Berlin (Reuters) - said nothing.",
        "IT - a sector that grew fast.",
    ],
)
def test_not_a_dateline(paragraph: str) -> None:
    assert match_dateline(paragraph) is None


_WORDS = st.sampled_from(
    ["talks", "minister", "resume", "the", "bank", "said", "on", "tuesday", "rates", "prices", "of", "à", "ståt"]
)
_SENTENCE = st.builds(
    lambda first, rest, end: " ".join([first.capitalize(), *rest]) + end,
    _WORDS,
    st.lists(_WORDS, min_size=2, max_size=15),
    st.sampled_from([".", "!", "?", ".”"]),
)


@settings(max_examples=200, deadline=None)
@given(st.lists(_SENTENCE, min_size=1, max_size=8))
def test_plain_prose_paragraphs_are_never_cut(paragraphs: list[str]) -> None:
    text = "Headline\n\n" + "\n\n".join(paragraphs)
    story = normalise(make_raw(text))
    assert story.body == paragraphs
    assert story.dateline is None and story.byline is None and story.signals == []


@settings(max_examples=200, deadline=None)
@given(st.lists(_SENTENCE, min_size=1, max_size=5), st.sampled_from(["BISHKEK (TCA) —", "MOSCOW, Nov 29 (Reuters) -"]))
def test_dateline_is_moved_out_and_nothing_else(paragraphs: list[str], dateline: str) -> None:
    text = "Headline\n\n" + f"{dateline} {paragraphs[0]}\n\n" + "\n\n".join(paragraphs[1:])
    story = normalise(make_raw(text))
    assert story.body == paragraphs
    assert story.dateline is not None and story.dateline.text == dateline


@pytest.mark.parametrize(
    ("text", "paragraphs"),
    [
        (
            "MOSCOW, Nov 29 (Reuters) - The minister said\ntalks would resume next week after\n"
            "a pause of several months.\n\n"
            "Officials declined to comment.",
            [
                "The minister said talks would resume next week after a pause of several months.",
                "Officials declined to comment.",
            ],
        ),
        (
            "The minister said talks would resume.\nOfficials declined to comment.\nNo date was set.",
            ["The minister said talks would resume.", "Officials declined to comment.", "No date was set."],
        ),
    ],
    ids=["hard-wrapped-72", "one-paragraph-per-line"],
)
def test_line_layout(text: str, paragraphs: list[str]) -> None:
    assert normalise(make_raw("Headline\n\n" + text)).body == paragraphs


def test_closing_address_line_gives_byline_and_title() -> None:
    text = f"A headline for the story\n\n{BODY}\n\n{LAST}\n\n최윤호 기자 uknow@example.kr\n"
    story = normalise(make_raw(text, agency="TCA"))
    assert story.body == [BODY, LAST]
    assert (story.byline, story.byline_title) == ("최윤호", "기자")


def test_byline_after_a_slash_names_an_agency_or_a_newsroom_by_its_address() -> None:
    assert split_byline("Geir Molnes / Faktisk.no", None) == ("Geir Molnes", "Faktisk.no")
    assert split_byline("Martin Hardenberger/TT", None) == ("Martin Hardenberger", "TT")
    assert split_byline("Jane Doe/John Roe", None) == ("Jane Doe/John Roe", None)


def test_letter_spaced_replacement_advisory_leaves_the_head_as_an_update() -> None:
    head = strip_head(
        [
            "N i e u w bericht, vervangt: Bonden stellen ultimatum",
            "Utrecht (ANP) - De bonden kondigen stakingen aan.",
            "Het overleg gaat door.",
        ]
    )
    assert head.body == ["De bonden kondigen stakingen aan.", "Het overleg gaat door."]
    assert head.dateline is not None and head.dateline.place == "Utrecht"
    assert head.signals == ["update"]


@pytest.mark.parametrize(
    "lead",
    ["Media contact:", "Media organisations can contact the agency's media manager for more information on:"],
)
def test_media_contacts_closing_the_story_are_not_body(lead: str) -> None:
    doc = (
        "Doping hotline opens\n\nAthletes can report doping on a new hotline from Monday, the agency said.\n\n"
        f"Anyone with information should call the hotline.\n\n{lead}\n\nJane Roe\n\nPhone: +61 2 6206 0208\n\n"
        "Email: jane.roe@example.org\n"
    )
    story = normalise(make_raw(doc.encode()))
    assert story.body[-1] == "Anyone with information should call the hotline."


def test_portal_original_title_note_and_credits_are_not_body() -> None:
    doc = (
        "宇航员在太空中喝酒\n\n宇航员在轨道上不能喝酒。\n\n我们留在地球上的人，则可以准备好香槟酒。\n\n"
        "原标题：他是首个在月球喝酒的人\n\n出品︱科学人栏目组 胖胖\n"
    )
    assert normalise(make_raw(doc.encode())).body[-1] == "我们留在地球上的人，则可以准备好香槟酒。"


def test_release_head_before_a_release_service_dateline_leaves_the_body() -> None:
    body = [
        "CORRECTION - Example Corp opens a plant",
        "The following release corrects and replaces the release issued earlier today by Example Corp.",
        "Example Corp opens a plant",
        "Plant to employ 300",
        "OTTAWA, May 26, 2020 (GLOBE NEWSWIRE) -- Example Corp opened a plant on Tuesday.",
        "The plant cost $10 million.",
    ]
    head = strip_head(body)
    assert head.body == ["Example Corp opened a plant on Tuesday.", "The plant cost $10 million."]
    assert head.dateline is not None and head.dateline.place == "Ottawa"
    story = [
        "A long first paragraph of story text that runs on. " * 14,
        "OTTAWA, May 26, 2020 (GLOBE NEWSWIRE) -- quoted in the story.",
    ]
    assert strip_head(story).body == story  # story text came first: not a release's head


def test_french_release_profile_and_contacts_close_the_body() -> None:
    body = [
        BODY,
        LAST,
        "À propos de Example",
        "Example est une société de télécommunications.",
        "Pour en savoir plus sur Example, visitez example.com.",
        "Pour en savoir plus, veuillez communiquer avec :",
        "Jeanne Roe",
        "Relations médiatiques",
        "jeanne.roe@example.com",
        "1 Note de bas de page.",
        "2 Une autre note.",
    ]
    assert strip_trailing_boilerplate(body)[0] == [BODY, LAST]
