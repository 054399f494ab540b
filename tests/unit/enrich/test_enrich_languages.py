"""Country, place and bloc tags in the languages agencies write: names, inflected forms, Arabic clitics, Chinese
and Japanese without spaces, accents and case, the disambiguation rules and dateline-first focus in each language.

Each row: language, a short story (headline and one paragraph, both written for this test), the exact set of
countries it names, and the explicit blocs it names.
"""

from __future__ import annotations

import pytest
from enrich_support import make_story

from pipeline.stages.enrich import tag

CASES: list[tuple[str, str, str, str, set[str], set[str]]] = [
    # The examples of the request: Russian, French, Spanish.
    (
        "ru-kg-visit",
        "ru",
        "Президент Киргизии посетил Москву",
        "Президент Киргизии посетил Москву и встретился с президентом России. Стороны обсудили работу "
        "Евразийского экономического союза и отношения с Казахстаном и Китаем.",
        {"KG", "RU", "KZ", "CN"},
        {"EAEU"},
    ),
    (
        "fr-kg-visit",
        "fr",
        "Le président du Kirghizistan à Moscou",
        "Le président du Kirghizistan s'est rendu à Moscou pour parler de l'Union économique eurasiatique, "
        "avec le Kazakhstan, l'Allemagne et la Chine en toile de fond.",
        {"KG", "RU", "KZ", "DE", "CN"},
        {"EAEU"},
    ),
    (
        "es-usmca",
        "es",
        "México y Estados Unidos firman un acuerdo",
        "México y Estados Unidos firmaron el acuerdo, al que Canadá se sumará el año próximo.",
        {"MX", "US", "CA"},
        set(),
    ),
    # Russian and Ukrainian case endings.
    ("ru-cases", "ru", "Визит в Германию", "Делегация Германии прибыла в Берлин из Казахстана.", {"DE", "KZ"}, set()),
    ("ru-eu-cases", "ru", "Санкции Евросоюза", "Решение Европейского союза против Ирана.", {"IR"}, {"EU"}),
    ("ru-adjective", "ru", "Заявление", "Российские и китайские дипломаты встретились.", {"RU", "CN"}, set()),
    (
        "uk-cases",
        "uk",
        "Візит до Польщі",
        "Президент України прибув до Польщі, а потім до Росії.",
        {"UA", "PL", "RU"},
        set(),
    ),
    # Polish, Finnish, German, Greek, Turkish inflection.
    (
        "pl-cases",
        "pl",
        "Wizyta w Rosji",
        "Premier Polski rozmawiał o Rosji, Niemczech i Kazachstanie.",
        {"PL", "RU", "DE", "KZ"},
        set(),
    ),
    ("pl-eu", "pl", "Decyzja", "Komisja Unii Europejskiej i Stanów Zjednoczonych.", {"US"}, {"EU"}),
    (
        "fi-cases",
        "fi",
        "Vierailu Venäjällä",
        "Suomen presidentti keskusteli Venäjän ja Kiinan kanssa Ruotsissa.",
        {"FI", "RU", "CN", "SE"},
        set(),
    ),
    (
        "de-genitive",
        "de",
        "Russlands Haltung",
        "Die Haltung Russlands und Chinas in der Europäischen Union.",
        {"RU", "CN"},
        {"EU"},
    ),
    (
        "de-adjective",
        "de",
        "Treffen",
        "Die russische und die chinesische Regierung trafen sich in der Schweiz.",
        {"RU", "CN", "CH"},
        set(),
    ),
    (
        "el-cases",
        "el",
        "Επίσκεψη στη Ρωσία",
        "Ο πρωθυπουργός της Ελλάδας μίλησε για τη Ρωσία και την Κίνα.",
        {"GR", "RU", "CN"},
        set(),
    ),
    ("el-capitals", "el", "ΡΩΣΙΑ ΚΑΙ ΚΙΝΑ", "Συνάντηση της Ευρωπαϊκής Ένωσης.", {"RU", "CN"}, {"EU"}),
    (
        "tr-suffix",
        "tr",
        "Rusya'da zirve",
        "Türkiye'nin dışişleri bakanı Rusya'ya ve Çin'e gitti.",
        {"TR", "RU", "CN"},
        set(),
    ),
    ("tr-eu", "tr", "AB kararı", "Avrupa Birliği Kazakistan ile görüştü.", {"KZ"}, {"EU"}),
    # Arabic clitics.
    (
        "ar-clitics",
        "ar",
        "سوريا",
        "قال مسؤولون في دمشق إن سوريا وروسيا بحثت مع الصين والعراق التعاون لسوريا.",
        {"SY", "RU", "CN", "IQ"},
        set(),
    ),
    ("ar-bi", "ar", "زيارة", "وصل الوفد بمصر ثم إلى الأردن وللسعودية.", {"EG", "JO", "SA"}, set()),
    ("ar-hamza", "ar", "الامارات", "الإمارات والامارات دولة واحدة.", {"AE"}, set()),
    # Chinese and Japanese without spaces.
    (
        "zh-no-spaces",
        "zh",
        "尼日利亚总统访问中国",
        "尼日利亚总统访问中国和俄罗斯，并在北京会见欧盟代表。",
        {"NG", "CN", "RU"},
        {"EU"},
    ),
    ("zh-niger", "zh", "尼日尔局势", "尼日尔与尼日利亚边境关闭。", {"NE", "NG"}, set()),
    (
        "ja-no-spaces",
        "ja",
        "ナイジェリアで選挙",
        "ナイジェリアの大統領は中国とロシアを訪問した。",
        {"NG", "CN", "RU"},
        set(),
    ),
    ("ja-katakana-word", "ja", "試合", "マリオとリチャードが出場した。", set(), set()),
    ("ja-nato", "ja", "北大西洋条約機構", "フィンランドは北大西洋条約機構に加盟した。", {"FI"}, {"NATO"}),
    # Accents and case.
    ("es-caps-no-accent", "es", "MEXICO Y CANADA", "Reunión en Ciudad de México.", {"MX", "CA"}, set()),
    (
        "fr-blocs",
        "fr",
        "L'UE et l'OTAN",
        "L'Union européenne et l'Otan ont parlé à la Turquie.",
        {"TR"},
        {"EU", "NATO"},
    ),
    # Language scope: a name in one language is a word in another.
    ("sv-island", "sv", "Island", "Island och Norge.", {"IS", "NO"}, set()),
    ("en-island", "en", "Island", "The island of Hawaii.", {"US"}, set()),
    ("de-dabei-is-a-word", "de", "Treffen", "Dabei waren auch Vertreter Frankreichs.", {"FR"}, set()),
    # Disambiguation in every language.
    ("ru-georgia-country", "ru", "Грузия", "Грузия и Армения подписали соглашение.", {"GE", "AM"}, set()),
    ("ru-georgia-state", "ru", "Выборы", "В штате Джорджия пересчитали голоса.", {"US"}, set()),
    ("pt-georgia-state", "pt", "Eleição", "A Casa Branca e o estado da Geórgia, em Atlanta, votam.", {"US"}, set()),
    ("fr-georgia-country", "fr", "Géorgie", "La Géorgie et la Russie, à Tbilissi.", {"GE", "RU"}, set()),
    ("fr-congo-default", "fr", "Congo", "Le Congo a voté.", {"CD"}, set()),
    ("fr-congo-brazzaville", "fr", "Congo", "Le Congo, à Brazzaville, a voté.", {"CG"}, set()),
    ("de-niger-nigeria", "de", "Grenze", "Niger schloss die Grenze zu Nigeria.", {"NE", "NG"}, set()),
    ("es-guinea", "es", "Delegados", "Guinea Ecuatorial y Guinea-Bisáu enviaron delegados.", {"GQ", "GW"}, set()),
    (
        "fr-jordan-person",
        "fr",
        "Basket",
        "Michael Jordan a joué à Chicago avec la Jordanie en tête.",
        {"US", "JO"},
        set(),
    ),
]


@pytest.mark.parametrize(
    ("lang", "headline", "body", "countries", "blocs"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_language_sentence(lang: str, headline: str, body: str, countries: set[str], blocs: set[str]) -> None:
    tags = tag(make_story(headline, body, language=lang))
    assert tags.codes == countries
    assert {b.code for b in tags.blocs if b.explicit} == blocs


def test_issue_examples_focus_and_membership() -> None:
    ru = tag(make_story(CASES[0][2], CASES[0][3], language="ru"))
    assert ru.focus_country == "KG"
    eaeu = next(b for b in ru.blocs if b.code == "EAEU")
    assert eaeu.explicit and set(eaeu.members) == {"KG", "RU", "KZ"}
    es = tag(make_story(CASES[2][2], CASES[2][3], language="es"))
    assert es.focus_country == "MX"
    # Membership-derived, dated: USMCA (in force 2020-07-01) is derived from the three countries.
    assert any(b.code == "USMCA" and not b.explicit for b in es.blocs)


@pytest.mark.parametrize(
    ("lang", "dateline", "place", "body", "focus"),
    [
        ("fr", "BICHKEK, 29 novembre (AFP) -", "BICHKEK", "La Russie, la Chine et le Kirghizistan ont signé.", "KG"),
        ("es", "CIUDAD DE MÉXICO, 3 dic (EFE).-", "CIUDAD DE MÉXICO", "Estados Unidos, Canadá y México firman.", "MX"),
        ("ru", "МОСКВА, 5 декабря. /ТАСС/.", "МОСКВА", "Китай, Казахстан и Россия подписали соглашение.", "RU"),
        ("de", "BERLIN (dpa) -", "BERLIN", "Frankreich, Polen und Deutschland reagierten.", "DE"),
        ("ar", "دمشق (سانا) -", "دمشق", "قالت روسيا والصين وسوريا إن الاتفاق مهم.", "SY"),
    ],
)
def test_dateline_place_resolved_and_first(lang: str, dateline: str, place: str, body: str, focus: str) -> None:
    """The dateline's place resolves to its country in every language, and of several countries named once each
    the one the story is filed from is the focus, even when the text names it last."""
    tags = tag(make_story("Accord", body, dateline=dateline, place=place, language=lang))
    assert tags.dateline_country == focus
    assert tags.focus_country == focus


def test_place_string_lookup_without_dateline_text_match() -> None:
    """``dateline.place`` alone (the text holds no name) still resolves, in any script and case."""
    tags = tag(make_story("Accord", "Rien.", dateline="(AFP) -", place="Bichkek", language="fr"))
    assert tags.dateline_country == "KG"
    tags = tag(make_story("Заявление", "Ничего.", dateline="/ТАСС/", place="БИШКЕК", language="ru"))
    assert tags.dateline_country == "KG"


def test_greek_abbreviation_of_the_eu() -> None:
    tags = tag(make_story("Σύνοδος", "Από τη Σύνοδο Ε.Ε. - ΗΠΑ στην Πράγα.", language="el"))
    assert [b.code for b in tags.blocs if b.explicit] == ["EU"]


def test_explicit_bloc_vs_membership_in_another_language() -> None:
    """'La France et l'Allemagne' names no bloc: EU is derived (not explicit); naming 'l'UE' makes it explicit."""
    derived = tag(make_story("Sommet", "La France et l'Allemagne ont signé.", language="fr"))
    assert any(b.code == "EU" and not b.explicit for b in derived.blocs)
    named = tag(make_story("Sommet", "La France et l'Allemagne, au sein de l'UE, ont signé.", language="fr"))
    assert any(b.code == "EU" and b.explicit for b in named.blocs)


def test_time_aware_membership_in_another_language() -> None:
    """Le Royaume-Uni is an EU member in 2019 and not in 2021."""
    from datetime import date

    body = "Le Royaume-Uni et l'Union européenne ont négocié."
    before = tag(make_story("Brexit", body, language="fr", on=date(2019, 6, 1)))
    after = tag(make_story("Brexit", body, language="fr", on=date(2021, 6, 1)))
    assert list(next(b for b in before.blocs if b.code == "EU").members) == ["GB"]
    assert list(next(b for b in after.blocs if b.code == "EU").members) == []


# Places written like given names or surnames (Sofia, Sucre, Rivera, Virginia) inside a person's name are not
# places; the same places stay places after a preposition, an institution's word or a German noun.
PERSON_CASES: list[tuple[str, str, str, str, set[str]]] = [
    ("es-sucre", "es", "Cuarta dosis", "El ministro de Salud, Luis Francisco Sucre, informó en Panamá.", {"PA"}),
    ("fr-sofia", "fr", "Les rumeurs en France", "Selon Ana Sofia Cardenal, la France doit réagir.", {"FR"}),
    ("it-virginia", "it", "Roma, la scuola", "La sindaca Virginia Raggi non ha risposto, dice l'Italia.", {"IT"}),
    ("en-virginia", "en", "The interview", "Prince Andrew denied meeting Virginia Giuffre in Britain.", {"GB"}),
    ("es-sofia-place", "es", "Viaje oficial", "El ministro viajó a Sofia para reunirse con su colega.", {"BG"}),
    ("de-bern", "de", "Unfall auf der A6", "Die Kantonspolizei Bern meldete einen Unfall.", {"CH"}),
    ("en-ucl", "en", "Eye study", "A professor at University College London, said the study was small.", {"GB"}),
    ("en-delhi", "en", "Blast victims", "The Delhi High Court on Wednesday ordered the payment.", {"IN"}),
]


@pytest.mark.parametrize(
    ("lang", "headline", "body", "countries"), [c[1:] for c in PERSON_CASES], ids=[c[0] for c in PERSON_CASES]
)
def test_places_inside_person_names(lang: str, headline: str, body: str, countries: set[str]) -> None:
    tags = tag(make_story(headline, body, language=lang))
    assert tags.codes == countries


# Cities under each language's own name (CLDR's exemplar cities), with their inflected forms.
CITY_CASES: list[tuple[str, str, str, set[str]]] = [
    ("it-roma", "it", "Realizzato nel quartiere di Roma dove il cantautore è cresciuto.", {"IT"}),
    ("de-wien", "de", "Das Konzert in Wien war ausverkauft.", {"AT"}),
    ("pl-rzym", "pl", "Premier przyleciał do Rzymu, a potem był w Kijowie.", {"IT", "UA"}),
    ("pt-nova-york", "pt", "As ações subiram em Nova York.", {"US"}),
    ("ru-stanley-cup", "ru", "Первый матч Кубка Стэнли прошёл вчера.", set()),
]


# States, provinces and regions (ISO 3166-2 first level through iso-codes): each language's own name, the local
# name in the languages of the country, inflected like the other names; shared or ordinary-word names left out.
REGION_CASES: list[tuple[str, str, str, set[str]]] = [
    ("de-aargau", "de", "Der Unfall ereignete sich bei Lenzburg, wie die Kantonspolizei Aargau mitteilte.", {"CH"}),
    ("de-bayern", "de", "Die Polizei in Bayern sucht Zeugen.", {"DE"}),
    ("ru-bavaria", "ru", "Выборы в Баварии прошли спокойно.", {"DE"}),
    ("uk-lviv-oblast", "uk", "Вибух стався у Львівській області.", {"UA"}),
    ("zh-bavaria", "zh", "巴伐利亚州举行选举。", {"DE"}),
    ("pt-minas", "pt", "O presidente visitou Minas Gerais no final de outubro.", {"BR"}),
    ("nl-engeland", "nl", "De priester uit het noorden van Engeland brak het record.", {"GB"}),
    ("en-gauteng", "en", "The horses were put down in Vereeniging, Gauteng on Monday.", {"ZA"}),
    ("en-odisha", "en", "Police in Odisha's Kandhamal district said one person died.", {"IN"}),
    ("en-canterbury", "en", "The Archbishop of Canterbury spoke on Sunday.", {"GB"}),  # the town, not NZ's region
    ("en-west-coast", "en", "Storms hit the West Coast again.", set()),
    ("es-valle", "es", "Valle abajo, el río estaba inundado.", set()),
    ("de-marken", "de", "Die Marken des Konzerns verkaufen sich gut.", set()),
]


# Towns of 50,000 and more in English-speaking countries, for English stories; those more often a person or
# another place are left out (Charles Darwin; Langley, Virginia).
TOWN_CASES: list[tuple[str, str, str, set[str]]] = [
    ("en-basingstoke", "en", "A Basingstoke man has pleaded not guilty.", {"GB"}),
    ("en-gisborne", "en", "A Gisborne man is in hospital with moderate burns.", {"NZ"}),
    ("en-darwin", "en", "Charles Darwin wrote the book.", set()),
    ("en-langley", "en", "Officials at Langley declined to comment.", set()),
    # A town another country's town shares, when it is the far bigger one (Coventry, Rhode Island is a tenth).
    ("en-coventry", "en", "The couple, of Coventry, went on holiday.", {"GB"}),
    # Towns of 30,000 to 50,000 too; not one named like another country's region, nor a month.
    ("en-small-town", "en", "A Moose Jaw man was charged after a crash near Stouffville.", {"CA"}),
    ("en-cornwall", "en", "Holiday lets in Cornwall cost more this year.", set()),  # not Cornwall, Ontario
    ("en-march", "en", "Sales rose in March, and Lawson said so.", set()),
    # US cities of 200,000 and more, below the English files' 500,000; not in other languages' stories.
    ("en-us-city", "en", "The quarterback was traded from Pittsburgh to Cleveland on Friday.", {"US"}),
    ("de-us-city", "de", "Der Tampa-Stil ist unverwechselbar.", set()),
    # Counties of Britain and Ireland; a county that is more often a person (John Kerry) is not one.
    ("en-county", "en", "A study at the University of Central Lancashire found it.", {"GB"}),
    ("en-kildare", "en", "The stud farm in Kildare was sold.", {"IE"}),
    ("en-kerry", "en", "Kerry said the talks would resume.", set()),
    # The English and German demonym 'Pole' is not a French word (Pôle emploi, written without its accent).
    ("en-pole", "en", "A Pole won the race in Warsaw's rain.", {"PL"}),
    ("de-pole", "de", "Ein Pole gewann das Rennen.", {"PL"}),
    ("fr-pole", "fr", "Pole emploi a publié les chiffres du chômage.", set()),
    # 'Freistaat' is the title of Bavaria, Saxony and Thuringia as well as South Africa's Free State in German.
    ("de-freistaat", "de", "Der Freistaat Thüringen lockert die Regeln.", {"DE"}),
    # US state abbreviations are AP style, for English stories: Italian 'ORE.' is 'hours'.
    ("it-ore", "it", "METEO PROSSIME ORE. Ancora piogge sparse.", set()),
    ("en-ore", "en", "The fire near Bend, Ore., spread overnight.", {"US"}),
    # Ukrainian words that are also alternate names of foreign towns (Усі 'all': Usu, China).
    ("uk-word", "uk", "Усі підлітки повернулися додому.", set()),
    # Outlets named after Russia or Moscow; South American in Dutch; a language is not its country.
    ("ru-outlet", "ru", "Эксперт в беседе с «Вечерней Москвой» оценил шансы, сообщает МИА «Россия сегодня».", set()),
    ("nl-south-american", "nl", "De Zuid-Amerikaanse ploeg won van de Zuid-Amerikanen.", set()),
    ("en-language", "en", "Ottawa funds French-language training for Spanish-speaking staff.", {"CA"}),
    ("en-jersey-city", "en", "Commuters at Journal Square station in Jersey City waited.", {"US"}),
    ("en-kennedy", "en", "Kennedy said in a statement that he disagreed.", set()),
    # German nouns for a country's people; South Tyrol; the Greek forms news text uses; French 'Émirats' alone.
    ("de-nouns", "de", "Der Schwede übertraf den Rekord des Franzosen, vor zwei Italienern.", {"SE", "FR", "IT"}),
    ("de-suedtirol", "de", "In Südtirol griffen Wölfe einen Hund an.", {"IT"}),
    ("el-kosovo", "el", "Η κυβέρνηση του Καζαχστάν και το Κόσοβο, η Νότιος Κορέα.", {"KZ", "XK", "KR"}),
    ("el-genitive", "el", "Οι οδοί του Βελιγραδίου και του Λονδίνου έκλεισαν.", {"RS", "GB"}),
    ("fr-emirats", "fr", "L'avion était immobilisé aux Emirats depuis mardi.", {"AE"}),
    # Regions named by a short form: the Donbas; China's city clusters.
    ("uk-donbas", "uk", "Антрацит видобувається в окупованих районах Донбасу.", {"UA"}),
    ("ru-donbas", "ru", "Обстрелы в Донбассе продолжились.", {"UA"}),
    ("zh-jingjinji", "zh", "着力打造京津冀区域综合立体交通网络。", {"CN"}),
    # A hospital named after two places is neither; the borough alone is New York's.
    ("en-bronx-lebanon", "en", "He lives in the Bronx; doctors at Bronx-Lebanon Hospital treated him.", {"US"}),
    # Spanish 'el valle' is not Anguilla's capital nor a Dominican region.
    ("es-el-valle", "es", "El Valle quedó inundado. El Valle del Cauca también.", {"CO"}),
]


# Japanese words that hold a foreign place's name in Chinese characters or katakana: Hokkaido (北海, Beihai), the
# Tōkai region (海地, Haiti in Chinese), a sports coach (コーチ, Kochi).
JAPANESE_CASES: list[tuple[str, str, str, set[str]]] = [
    ("ja-hokkaido", "ja", "北海道新聞によると、試合は札幌で行われた。", {"JP"}),
    ("ja-tokai", "ja", "13日にも東海地方から関東地方に接近する見込み。", {"JP"}),
    ("ja-coach", "ja", "引退後は投手コーチを担当した。", set()),
    ("zh-beihai", "zh", "北海市举行了会议。", {"CN"}),
    # Outlets named after Japan, the Korean Peninsula (a region) and a tied record (タイ記録, not Thailand).
    ("ja-outlet", "ja", "日本経済新聞によると、日本放送協会も報じた。", set()),
    ("ja-peninsula", "ja", "13日に朝鮮半島に到達する可能性がある。", set()),
    ("zh-peninsula", "zh", "台风将影响朝鲜半岛。", set()),
    ("ja-tie", "ja", "第11レースで優勝し、タイ記録にした。", set()),
    ("ja-thailand", "ja", "首相はタイを訪問した。", {"TH"}),
    ("ru-peninsula", "ru", "Напряжённость на Корейском полуострове растёт.", set()),
]


# Curated adjectives of often-named countries whose adjective is not their language's name, inflected like the
# other names; the Indian Ocean and the British Isles are not India and the United Kingdom.
DEMONYM_CASES: list[tuple[str, str, str, set[str]]] = [
    ("pt-brasileira", "pt", "A balança comercial brasileira registrou superávit.", {"BR"}),
    ("nl-britse", "nl", "Het Britse amusementsconcern koopt het bedrijf.", {"GB"}),
    ("es-venezolanos", "es", "El diario recibirá las denuncias de los venezolanos.", {"VE"}),
    ("ru-brazilian", "ru", "Победа бразильского бойца удивила всех.", {"BR"}),
    ("nl-colombiaanse", "nl", "Colombiaanse soldaten hebben 24 mensen bevrijd.", {"CO"}),
    ("fr-ocean-indien", "fr", "Le cyclone se forme dans l'océan Indien.", set()),
    ("ru-indian-ocean", "ru", "Циклон сформировался в Индийском океане.", set()),
    ("it-indiana", "it", "Il governatore dell'Indiana ha firmato la legge.", {"US"}),
    ("it-isole-britanniche", "it", "Piogge in tutte le Isole Britanniche.", set()),
]


@pytest.mark.parametrize(
    ("lang", "body"),
    [
        ("zh", "新华社北京11月17日电 记者从会议获悉，日本代表出席。"),
        ("zh", "中新网北京3月2日电 日本代表出席会议。"),
        ("ja", "【北京共同】日本の代表団が会議に出席した。"),
    ],
)
def test_chinese_and_japanese_agency_datelines_in_the_lead(lang: str, body: str) -> None:
    """Digits stand apart from Chinese and Japanese text (北京11月), and an agency's dateline at the start of the
    lead weighs in the focus as an English one does."""
    tags = tag(make_story("会议", body, language=lang))
    assert tags.codes == {"CN", "JP"}
    assert tags.focus_country == "CN"
    assert tag(make_story("会议", "2019年東京で会議が開かれた。", language="ja")).codes == {"JP"}


def test_a_dateline_left_in_the_lead_weighs_in_the_focus() -> None:
    lead = (
        "DUBAI, United Arab Emirates — The carrier ordered jets from Boeing of the United States and from Airbus of "
        "France, Airbus said in France."
    )
    tags = tag(make_story("Carrier inks jet order", lead))
    assert tags.focus_country == "AE"
    assert tags.dateline_country is None  # the story has no dateline: nothing to fill in
    not_a_dateline = "DUBAI is a big city, and Paris and France are too, France said in France."
    assert tag(make_story("Cities", not_a_dateline)).focus_country == "FR"


def test_a_headline_printed_again_above_the_lead_is_not_read() -> None:
    """A scraped page that opens with its headline again (perhaps without the outlet's name the headline ends
    with): the copy does not count as mentions, and the lead, with its dateline, is the paragraph after it."""
    headline = "Minister warns Germany over border checks"
    lead = "VIENNA, Austria (AP) — Austria's minister said on Monday the checks broke the rules, Austria said."
    tags = tag(make_story(headline, headline, lead))
    assert tags.focus_country == "AT"
    assert [c.mentions for c in tags.countries if c.code == "DE"] == [1]
    with_outlet = tag(make_story(f"{headline} | The Daily Example", headline, lead))
    assert [c.mentions for c in with_outlet.countries if c.code == "DE"] == [1]
    # A short paragraph that happens to be the headline's start is still read; so is a longer one.
    assert tag(make_story("Germany - Austria 2:1", "Germany", "Fans cheered.")).codes == {"DE", "AT"}
    assert tag(make_story("Germany", "Germany")).countries[0].mentions == 2


@pytest.mark.parametrize(
    ("caption", "countries"),
    [
        ("| Traders at the exchange in Tokyo on Monday. (Jane Roe / Example Wire) |", set()),
        ("Cranes at the port of Rotterdam. (File photo by John Doe/Example Images)", set()),
        ("Cranes at the port of Rotterdam. (Photo: John Doe/Example Images)", set()),
        # A bracket that credits no photo is story text.
        ("The port of Rotterdam grew (the ministry said).", {"NL"}),
        ("The deal was signed in Tokyo (see the chart / table).", {"JP"}),
    ],
)
def test_a_photo_caption_in_the_body_is_not_read(caption: str, countries: set[str]) -> None:
    """Scraped pages keep a photo's caption among the paragraphs; it ends with the photo's credit."""
    tags = tag(make_story("Exports rise", caption, "Exports rose in Brazil, officials said."))
    assert tags.codes == countries | {"BR"}
    if not countries:
        assert tags.focus_country == "BR"


def test_focus_without_headline_country_goes_to_a_clear_leader() -> None:
    """A story whose headline and dateline name no country: the country named first and most in the text is the
    focus when it is named more and its salience clearly leads (one stray city elsewhere, named later, does not
    share it, though it weighs nearly as much as one mention of the country); a round-up naming each
    country once has none."""
    local = make_story(
        "Tulva katkaisi tien",
        "Suomen tieverkolla sattui tulva, kertoi liikennevirasto.",
        "Sama urakoitsija rakentaa siltaa myös Tukholmassa.",
        language="fi",
    )
    assert tag(local).focus_country == "FI"
    roundup = make_story(
        "Growth to slow",
        "Growth will slow this year, the fund said, citing weaker demand from China.",
        "Brazil and Mexico will grow less than expected, while Argentina will contract.",
    )
    assert tag(roundup).focus_country is None


@pytest.mark.parametrize(
    ("lang", "body", "countries"),
    [
        ("pt", "A balança comercial registra superávit de US$ 1,55 bilhão no Brasil.", {"BR"}),
        ("en", "The contract is worth US$ 5 billion, the US said.", {"US"}),
    ],
)
def test_the_us_dollar_sign_is_a_currency(lang: str, body: str, countries: set[str]) -> None:
    assert tag(make_story("Balança comercial", body, language=lang)).codes == countries


# Country adjectives derived from the languages' names (Dutch -e, Swedish -t, Polish and Finnish case forms …);
# a phrase naming the language ("en inglés", "på engelska") is not the country; a derived form that is another
# word of the language (French 'malaise', unease) is left out.
ADJECTIVE_CASES: list[tuple[str, str, str, set[str]]] = [
    ("nl-adjective", "nl", "De Italiaanse en Poolse ministers spraken met een Zweedse delegatie.", {"IT", "PL", "SE"}),
    ("nl-city-adjective", "nl", "Een Rotterdamse club en een Brusselse krant op de Parijse beurs.", {"NL", "BE", "FR"}),
    ("ru-adjective", "ru", "Швейцарские и итальянские учёные встретились с польским министром.", {"CH", "IT", "PL"}),
    ("sv-adjective", "sv", "Den italienska regeringen och ett polskt företag skrev avtal.", {"IT", "PL"}),
    ("da-adjective", "da", "Den italienske premierminister mødte tyske ministre.", {"IT", "DE"}),
    ("pl-adjective", "pl", "Przedstawiciele włoskiego rządu rozmawiali z czeską delegacją.", {"IT", "CZ"}),
    ("fi-adjective", "fi", "Kanadalaisen yhtiön johtaja tapasi ranskalaisia ministereitä.", {"CA", "FR"}),
    ("fr-adjective", "fr", "La délégation italienne a rencontré des diplomates allemands.", {"IT", "DE"}),
    ("es-adjective", "es", "La delegación francesa y los diplomáticos alemanes firmaron.", {"FR", "DE"}),
    ("it-adjective", "it", "La delegazione tedesca ha incontrato i diplomatici francesi.", {"DE", "FR"}),
    ("pt-adjective", "pt", "A delegação francesa e os diplomatas ingleses assinaram.", {"FR", "GB"}),
    ("tr-adjective", "tr", "İtalyan ve Alman bakanlar bir araya geldi.", {"IT", "DE"}),
    ("es-language", "es", "El comunicado se publicó en inglés y en francés.", set()),
    ("sv-language", "sv", "Rapporten finns på engelska och på tyska.", set()),
    ("ru-language", "ru", "Документ опубликован на испанском языке, перевод на немецкий язык готов.", set()),
    ("pl-language", "pl", "Dokument wydano w języku angielskim.", set()),
    ("fr-malaise", "fr", "Le malaise des enseignants grandit.", set()),
]


PLACE_CASES = CITY_CASES + REGION_CASES + TOWN_CASES + JAPANESE_CASES + DEMONYM_CASES + ADJECTIVE_CASES


@pytest.mark.parametrize(("lang", "body", "countries"), [c[1:] for c in PLACE_CASES], ids=[c[0] for c in PLACE_CASES])
def test_places_and_adjectives_in_their_language(lang: str, body: str, countries: set[str]) -> None:
    """Cities, regions, towns and country adjectives, each in the language of its story."""
    assert tag(make_story("Notizia", body, language=lang)).codes == countries


@pytest.mark.parametrize(
    ("lang", "headline", "body", "focus"),
    [
        ("fi", "Elokuva", "Elokuvaa kuvataan Suomessa ja Venäjällä.", "FI"),
        ("pl", "Wzmacniacz smaku", "Polska i Japonia używają go od lat.", "PL"),
        # English has no single nation: a tie stays without a focus.
        ("en", "Guidance", "Doctors in Canada and the UK were asked.", None),
        # The home country named less often than another is no tie: the clear leader keeps the focus.
        ("fi", "Mielenosoitus", "Kiinan lähetystö ja Kiinan hallitus vastasivat Suomen kansalaisille.", "CN"),
    ],
)
def test_a_tie_in_local_news_goes_to_the_language_country(
    lang: str, headline: str, body: str, focus: str | None
) -> None:
    """A story whose headline and dateline name no country and whose countries are named equally often: in a
    language of one nation (``rules.yaml`` home_country) that nation, when it is among the most named."""
    assert tag(make_story(headline, body, language=lang)).focus_country == focus


@pytest.mark.parametrize(
    ("body", "countries"),
    [
        # A name in kanji before a katakana word stands on its own; a katakana name inside one does not.
        ("日本プロ野球の球団が発表した。", {"JP"}),
        ("国際グランプリ大阪大会で優勝した。", {"JP"}),
        ("マリオが新作ゲームに登場した。", set()),
    ],
)
def test_japanese_kanji_name_before_katakana(body: str, countries: set[str]) -> None:
    assert tag(make_story("ニュース", body, language="ja")).codes == countries


@pytest.mark.parametrize(
    ("body", "countries"),
    [
        # A place followed by an honorific, perhaps after the rest of the name in katakana, is a person.
        ("タレントのチャド・ケン氏が東京で会見した。", {"JP"}),
        ("チャド氏は会見で新曲を発表した。", set()),
        ("ケニアさんが優勝した。", set()),
        # A place and a person beside it stay apart: the country is kept.
        ("カタール・ドーハで開かれた大会でケニアのキプロプ選手が優勝した。", {"QA", "KE"}),
    ],
)
def test_japanese_place_inside_a_persons_name(body: str, countries: set[str]) -> None:
    assert tag(make_story("ニュース", body, language="ja")).codes == countries


def test_a_list_of_dated_headlines_is_page_furniture() -> None:
    related = "2020年3月1日(日):台風がオーストラリアに接近2020年2月28日(金):ブラジルで大雨"
    story = make_story("大阪で会議", "大阪市で会議が開かれた。", related, language="ja")
    assert tag(story).codes == {"JP"}
    # One dated item in a sentence is the story's own text.
    single = make_story("会議", "2020年3月1日(日):オーストラリアで会議が開かれた。", language="ja")
    assert tag(single).codes == {"AU"}


@pytest.mark.parametrize(
    ("lang", "body", "countries"),
    [
        # The long form of the Democratic Republic of the Congo is not the Republic of the Congo.
        ("nl", "Gevechten in het oosten van de Democratische Republiek Congo.", {"CD"}),
        ("pt", "Combates no leste da República Democrática do Congo.", {"CD"}),
        ("it", "Scontri nell'est della Repubblica Democratica del Congo.", {"CD"}),
        ("nl", "Gevechten in de Republiek Congo.", {"CG"}),
        # The name North Macedonia had before 2019, still common in Dutch text.
        ("nl", "Het Macedonische leger vecht in het noorden van Macedonië.", {"MK"}),
        # Bercy, the French finance ministry; a newspaper named after a street is an outlet, not a place.
        ("fr", "À Bercy, on prépare le budget.", {"FR"}),
        ("fr", "Il l'a dit au Wall Street Journal.", set()),
        ("en", "He told The Wall Street Journal on Monday.", set()),
        ("en", "Shares fell on Wall Street.", {"US"}),
    ],
)
def test_long_forms_former_names_metonyms_and_outlets(lang: str, body: str, countries: set[str]) -> None:
    assert tag(make_story("Nieuws", body, language=lang)).codes == countries


@pytest.mark.parametrize(
    ("lang", "body", "countries"),
    [
        # Finnish consonant gradation and e-stems (Helsinki → Helsingissä, Englanti → Englannin, Lahti → Lahdessa).
        ("fi", "Kokous pidettiin Helsingissä, ja sitten Lahdessa.", {"FI"}),
        ("fi", "Englannin hallitus ja Britannian parlamentti kokoontuivat.", {"GB"}),
        ("fi", "Joukkue hävisi englantilaiselle seuralle.", {"GB"}),
        # The towns the English files hold are inflected in their country's language too.
        ("fi", "Mielenosoitus Tampereella ja Turussa.", {"FI"}),
        ("pl", "Spotkanie odbyło się w Warszawie.", {"PL"}),
    ],
)
def test_finnish_gradation_and_home_towns_inflected(lang: str, body: str, countries: set[str]) -> None:
    assert tag(make_story("Uutinen", body, language=lang)).codes == countries


def test_furniture_after_a_heading_is_not_the_story() -> None:
    """After a heading of comments or related news, the paragraphs that end no sentence are other stories'
    headlines and a forum's invitation; the first that ends a sentence is the story again."""
    story = make_story(
        "Nowe badania nad wirusem",
        "Brytyjscy naukowcy opisali wirusa.",
        "Komentarze",
        "Zapraszamy na największe polskie forum",
        "Ostatnie wiadomości:",
        "Nowe metody leczenia w Krakowie",
        language="pl",
    )
    assert tag(story).codes == {"GB"}
    resumed = make_story(
        "Kokous", "Saksan liittokansleri puhui.", "Lue myös:", "Suomi esitti uuden ehdotuksen.", language="fi"
    )
    assert tag(resumed).codes == {"DE", "FI"}


def test_an_outlets_name_is_not_its_country() -> None:
    story = make_story("Nauka", "Brytyjscy naukowcy opisali wirusa.", "PAP - Nauka w Polsce", language="pl")
    assert tag(story).codes == {"GB"}


def test_a_list_of_headlines_at_the_end_is_page_furniture() -> None:
    """Three short paragraphs or more at the end of the body that end no sentence are other stories' headlines."""
    headlines = ("Νέα μέτρα για τους μετανάστες", "Οι αγώνες των εργατών της Ελλάδας", "Ξεκινάει το συνέδριο")
    story = make_story("Ειδήσεις", "Η κυβέρνηση της Νιγηρίας ανακοίνωσε μέτρα.", *headlines, language="el")
    assert tag(story).codes == {"NG"}
    # Two such paragraphs are not enough, and a long one ends the list.
    assert tag(make_story("Ειδήσεις", "Η Νιγηρία.", *headlines[1:], language="el")).codes == {"NG", "GR"}
    long_one = (
        "Οι αγώνες των εργατών της Ελλάδας συνεχίζονται σε όλες τις πόλεις της χώρας με μεγάλη συμμετοχή "
        "και πολλές απεργίες"
    )
    story = make_story("Ειδήσεις", "Η Νιγηρία.", long_one, *headlines[1:], language="el")
    assert tag(story).codes == {"NG", "GR"}


@pytest.mark.parametrize(
    ("body", "countries"),
    [
        # Case forms of place names that are ordinary Ukrainian words: Буде ('will be', not Буда), Решта ('the rest').
        ("ЯКИМ БУДЕ ВРОЖАЙ. Решта овочів подешевшала.", set()),
        ("Делегація прибула до Будапешта.", {"HU"}),
    ],
)
def test_ukrainian_words_among_case_forms(body: str, countries: set[str]) -> None:
    assert tag(make_story("Новини", body, language="uk")).codes == countries


@pytest.mark.parametrize(
    ("body", "countries"),
    [
        # A link to another story after a furniture heading and a colon; a sentence after one is the story's own.
        ("Leia  mais: China parabeniza o presidente eleito", set()),
        ("Leia mais: a China anunciou novas tarifas.", {"CN"}),
        # A time zone named after a city, and an organisation named after its country, are no mention of it.
        ("Às 4h20 no horário de Brasília, o candidato falou.", set()),
        ("Empresários ligados ao Movimento Brasil Livre foram investigados.", set()),
        ("O presidente voltou a Brasília.", {"BR"}),
    ],
)
def test_link_lines_time_zones_and_organisations(body: str, countries: set[str]) -> None:
    assert tag(make_story("Notícia", body, language="pt")).codes == countries
