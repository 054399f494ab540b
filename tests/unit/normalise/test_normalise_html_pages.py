"""HTML article pages: what the page's own structure says about the story (standfirst, the story's ``<h1>``,
bylines printed in the page, trailers after the story)."""

from __future__ import annotations

from datetime import UTC, datetime

import trafilatura
from lxml import etree
from normalise_support import RECEIVED, make_raw

from pipeline.stages.normalise import normalise
from pipeline.stages.normalise.formats.html_page import page_structure, parse_page

LEAD = "The central bank raised its key rate by half a point on Tuesday, its third rise this year."
SECOND = "Second paragraph of the story, long enough to be story text for the extractor to keep."
THIRD = "Third paragraph, also long enough to be kept as text of the story by the extractor here."
STANDFIRST = "Borrowing costs climb again as the bank fights prices that keep rising faster than wages."


def _page(head: str, article: str, description: str = STANDFIRST) -> str:
    return f"""<!DOCTYPE html><html lang="en"><head><title>Rates rise | Example News</title>
      <meta property="og:site_name" content="Example News"><meta name="description" content="{description}">
      {head}</head><body><header><h1>Example News</h1><nav><a href="/">Home</a></nav></header>
      <article>{article}</article><footer><p>About us</p></footer></body></html>"""


def test_standfirst_printed_apart_from_the_story_is_not_body() -> None:
    article = f"""<h1>Rates rise</h1><p class="article-intro">{STANDFIRST}</p>
      <div class="share-bar"><a href="/s">Share</a></div>
      <div class="text"><p>{LEAD}</p><p>{SECOND}</p><p>{THIRD}</p></div>"""
    assert normalise(make_raw(_page("", article))).body == [LEAD, SECOND, THIRD]


def test_dek_marked_as_the_description_is_not_body() -> None:
    article = f"""<h1>Rates rise</h1><h2 itemprop="description">{STANDFIRST}</h2>
      <p>{LEAD}</p><p>{SECOND}</p><p>{THIRD}</p>"""
    assert normalise(make_raw(_page("", article))).body[0] == LEAD


def test_intro_that_the_story_goes_on_from_is_the_lead() -> None:
    # The same class, but the next paragraph continues the story: the intro is the story's opening paragraph.
    article = f"""<h1>Rates rise</h1><div class="story-intro"><p><strong>{LEAD}</strong></p></div>
      <p>{SECOND}</p><p>{THIRD}</p>"""
    assert normalise(make_raw(_page("", article, description=LEAD))).body == [LEAD, SECOND, THIRD]


def test_share_bar_summary_is_not_a_standfirst() -> None:
    article = f"""<h1>Rates rise</h1><div class="util-bar-share-summary"><p>{LEAD}</p></div>
      <div class="text"><p>{LEAD}</p><p>{SECOND}</p><p>{THIRD}</p></div>"""
    assert normalise(make_raw(_page("", article, description=LEAD))).body[0] == LEAD


def test_long_element_named_intro_is_a_container_not_a_standfirst() -> None:
    article = f"""<div class="intro-default"><h1>Rates rise</h1><p>{LEAD}</p><p>{SECOND}</p><p>{THIRD}</p>
      <p>{SECOND} {THIRD} {SECOND} {THIRD} {SECOND} {THIRD}</p></div>"""
    assert normalise(make_raw(_page("", article, description=LEAD))).body[0] == LEAD


def _story(h1: str) -> str:
    return f"<h1>{h1}</h1><p>{LEAD}</p><p>{SECOND}</p><p>{THIRD}</p>"


def test_headline_is_the_h1_above_the_story_not_the_logo_h1_or_the_share_title() -> None:
    head = '<meta property="og:title" content="Central bank rate rise: what it means">'
    story = normalise(make_raw(_page(head, _story("Central bank raises rates for the third time"))))
    assert story.headline == "Central bank raises rates for the third time"
    assert story.body[0] == LEAD


def test_h1_that_appends_furniture_to_the_metadata_headline_is_not_the_headline() -> None:
    head = '<meta property="og:title" content="Rates rise again">'
    page = _page(head, _story("Rates rise again<span>Example Daily Edition</span>"))
    assert normalise(make_raw(page)).headline == "Rates rise again"


def test_h1_sharing_nothing_with_the_page_titles_is_not_the_headline() -> None:
    head = '<meta property="og:title" content="Rates rise again">'
    assert normalise(make_raw(_page(head, _story("Opinion")))).headline == "Rates rise again"


def test_lists_and_headings_after_the_last_paragraph_are_not_body() -> None:
    trailer = """<h5>Get reporter alerts</h5><ul><li>Anna Berg</li><li>Tom Lee</li></ul>
      <ul id="topics"><li>Politics &amp; Government</li><li>Central banks</li></ul>"""
    assert normalise(make_raw(_page("", _story("Rates rise") + trailer))).body == [LEAD, SECOND, THIRD]


def test_a_list_inside_the_story_stays() -> None:
    article = _story("Rates rise") + "<ul><li>Mortgages cost more.</li><li>Savers earn more.</li></ul><p>Last.</p>"
    body = normalise(make_raw(_page("", article))).body
    assert body[-3:] == ["Mortgages cost more.", "Savers earn more.", "Last."]


def test_byline_printed_in_the_page_markup_when_the_metadata_names_no_writer() -> None:
    byline = '<div class="firma">Por Anna Berg</div>'
    article = _story("Rates rise").replace("<p>", byline + "<p>", 1)
    assert normalise(make_raw(_page("", article))).byline == "Anna Berg"


def test_byline_element_holding_the_date_gives_the_names_inside_it() -> None:
    byline = '<span class="firma"><span class="autor">Ana Ruiz / Luis Gil</span> Madrid 27 OCT 2012</span>'
    article = _story("Rates rise").replace("<p>", byline + "<p>", 1)
    assert normalise(make_raw(_page("", article))).byline == "Ana Ruiz / Luis Gil"


def test_an_empty_span_before_the_paragraph_text_does_not_take_the_opening_words() -> None:
    words = "Some traders found the statement gloomier than expected, and bond yields fell on Wednesday."
    article = f"""<h1>Rates rise</h1><p><span id="byLine"></span>{words}</p>
      <p><span id="byLine"></span>{SECOND}</p><p><span id="byLine"></span>{THIRD}</p>"""
    assert normalise(make_raw(_page("", article))).body == [words, SECOND, THIRD]


def test_story_h1_passes_over_h1_texts_kept_at_the_head_of_the_extracted_text() -> None:
    page = f"""<html><body><div class="blog"><h1>Market Insider</h1></div>
      <div class="post"><h1>Rates rise</h1><p>{LEAD}</p><p>{SECOND}</p></div></body></html>"""
    tree = parse_page(page)
    assert tree is not None
    structure = page_structure(tree)
    assert structure.story_h1(["Market Insider", "Rates rise", LEAD, SECOND]) == "Rates rise"
    assert structure.story_h1([LEAD, SECOND]) == "Rates rise"
    assert structure.story_h1(["A paragraph found nowhere on the page"]) is None


def test_note_and_credit_block_under_the_story_are_not_body() -> None:
    trailer = """<p>(Sourcing: much of this list was obtained from the national conference of legislatures).</p>
      <p>Anna Berg and Tom Lee contributed to this report</p>
      <p>The-Example-Wire<br>&trade; &amp; &copy; 2013 Example News Network, Inc. All rights reserved.</p>"""
    assert normalise(make_raw(_page("", _story("Rates rise") + trailer))).body == [LEAD, SECOND, THIRD]


def test_publish_date_meta_in_rfc_2822_with_a_zone_abbreviation() -> None:
    head = '<meta name="publish_date" content="Sat, 09 Oct 2010 07:15:45 EST" />'
    story = normalise(make_raw(_page(head, _story("Rates rise"))))
    assert story.firstcreated == datetime(2010, 10, 9, 12, 15, 45, tzinfo=UTC)


def test_chinese_byline_label_and_picture_credit_are_not_body() -> None:
    first = "西方世界的一些政客正试图串联起来，今天宣布成立一个新的联盟，引起了各方的广泛关注和讨论。"
    article = f"""<h1>新联盟今天成立</h1><p>执笔/叨叨姐、胡一刀</p><p>{first}</p><p>{SECOND}</p><p>{THIRD}</p>
      <p>图片均来自网络</p>"""
    story = normalise(make_raw(_page('<meta property="og:title" content="新联盟今天成立">', article)))
    assert story.byline == "叨叨姐、胡一刀"
    assert story.body == [first, SECOND, THIRD]


def test_closing_paragraph_wholly_in_italics_is_a_note_not_the_story() -> None:
    bio = "<p><b><i>Anna Berg is an economist at the University of Lisbon.</i></b></p>"
    assert normalise(make_raw(_page("", _story("Rates rise") + bio))).body == [LEAD, SECOND, THIRD]


def test_closing_paragraph_with_an_italic_phrase_stays() -> None:
    last = "<p>Markets, she said, <em>will adjust</em> within weeks as they always have done before.</p>"
    body = normalise(make_raw(_page("", _story("Rates rise") + last))).body
    assert body[-1] == "Markets, she said, will adjust within weeks as they always have done before."


def test_agency_copyright_sign_off_names_the_reporter_and_leaves_the_body() -> None:
    article = _story("Rates rise").replace(f"<p>{THIRD}</p>", f"<p>{THIRD}(c)AFP/Anna BERG</p>")
    story = normalise(make_raw(_page("", article)))
    assert story.body[-1] == THIRD
    assert story.byline == "Anna BERG"


def test_trafilatura_metadata_pass_leaves_the_parsed_page_as_it_was() -> None:
    # parse_html hands the one parsed tree to trafilatura's metadata pass and then extracts from it.
    byline = '<p class="byline">By <a rel="author" href="/a">Anna Berg</a></p><time datetime="2024-03-05">5</time>'
    tree = parse_page(_page("", _story("Rates rise").replace("<p>", byline + "<p>", 1)))
    assert tree is not None
    before = etree.tostring(tree)
    trafilatura.extract_metadata(tree)
    assert etree.tostring(tree) == before


def test_title_suffix_after_the_headline_the_description_carries_is_dropped() -> None:
    page = f"""<!DOCTYPE html><html lang="zh"><head><title>法国全国大罢工再次严重影响交通-新华网</title>
      <meta name="description" content="法国全国大罢工再次严重影响交通 ---法国9日再次爆发全国跨行业大罢工。">
      </head><body><div><p>{LEAD}</p><p>{SECOND}</p><p>{THIRD}</p></div></body></html>"""
    assert normalise(make_raw(page)).headline == "法国全国大罢工再次严重影响交通"


def test_hyphenated_title_the_description_goes_on_from_is_kept() -> None:
    page = f"""<!DOCTYPE html><html lang="en"><head><title>COVID-19 vaccine</title>
      <meta name="description" content="COVID-19 vaccines reach the last districts.">
      </head><body><div><p>{LEAD}</p><p>{SECOND}</p><p>{THIRD}</p></div></body></html>"""
    assert normalise(make_raw(page)).headline == "COVID-19 vaccine"


def test_closing_contact_line_is_not_the_story() -> None:
    contact = '<p>"<em>Questions? Comments? Email us at</em></p>'
    assert normalise(make_raw(_page("", _story("Rates rise") + contact))).body == [LEAD, SECOND, THIRD]


def test_closing_link_list_and_appeal_under_it_are_not_the_story() -> None:
    links = '<a href="/1">Bank holds rates for now</a><br><a href="/2">Prices rise faster than wages</a>'
    related = f"""<p><strong>Earlier coverage</strong><br>{links}</p>
      <p>Support us: account 0993000060423</p>
      <p>Facebook https://fb.me/example</p>"""
    assert normalise(make_raw(_page("", _story("Rates rise") + related))).body == [LEAD, SECOND, THIRD]


def test_hidden_share_heading_and_date_only_dateline_leave_the_body() -> None:
    first = "ナイジェリア北東部ボルノ州で16日夜、少女を使った自爆攻撃が起き、31人が死亡した。"
    article = f"""<h1>自爆攻撃、31人死亡</h1>
      <section class="article-sns"><h2 class="hide-text">このニュースをシェア</h2></section>
      <div class="article-body"><p>【6月18日 AFP】{first}</p><p>{SECOND}</p><p>{THIRD}</p></div>"""
    story = normalise(make_raw(_page('<meta property="og:title" content="自爆攻撃、31人死亡">', article)))
    assert story.body == [first, SECOND, THIRD]
    assert story.dateline is None


def test_date_only_publication_date_is_no_precise_time() -> None:
    story = normalise(make_raw(_page('<meta name="publishdate" content="2012-10-27">', _story("Rates rise"))))
    assert story.firstcreated is None
    assert story.versioncreated == RECEIVED  # the time the page was received, not midnight of that date


def test_byline_naming_the_site_or_publisher_is_no_byline() -> None:
    printed = _story("Rates rise").replace("<p>", "<p>By Example News</p><p>", 1)
    story = normalise(make_raw(_page("", printed)))
    assert story.byline is None
    assert story.body == [LEAD, SECOND, THIRD]
    ld = """<script type="application/ld+json">{"@type": "NewsArticle", "headline": "Rates rise",
      "author": {"@type": "Organization", "name": "Daily Planet"}, "publisher": {"name": "Daily Planet"}}</script>"""
    assert normalise(make_raw(_page(ld, _story("Rates rise")))).byline is None


def test_fact_box_beside_the_story_is_not_body() -> None:
    box = """<div class="box"><div class="fields"><div><strong>Company:</strong><br><span>Example Bank</span></div>
      <div><strong>Founded:</strong><br><span>1/2/2004</span></div></div>
      <div class="copy"><p>Example Bank is the largest lender in the region, founded in 2004 by its owners.</p></div>
      </div><p>Sponsored Ads</p>"""
    assert normalise(make_raw(_page("", _story("Rates rise") + box))).body == [LEAD, SECOND, THIRD]


def test_deck_grouped_with_the_h1_is_not_body() -> None:
    deck = "Are the bank's rate rises really about prices, or about its own credibility?"
    article = f"""<div class="headline"><h1>Rates rise</h1><h3>{deck}</h3></div>
      <div class="text"><p>{LEAD}</p><p>{SECOND}</p><p>{THIRD}</p></div>"""
    assert normalise(make_raw(_page("", article))).body == [LEAD, SECOND, THIRD]


def test_other_stories_teasers_after_the_story_are_not_body() -> None:
    teasers = """<div class="group"><h2 class="heading">Other columns</h2>
      <div class="story-block"><h4 class="heading"><strong class="kicker">Budget</strong>
      <a href="/a">Spending plans under fire</a></h4><p class="standfirst"><em class="byline">JOE ROE</em>
      THE government's spending plans drew fire from every side of the house this week.</p></div>
      <div class="story-block"><h4 class="heading"><a href="/b">Housing on the slide</a></h4>
      <p class="standfirst">HOUSE prices fell for the fifth month in a row, the latest figures show.</p></div></div>"""
    assert normalise(make_raw(_page("", _story("Rates rise") + teasers))).body == [LEAD, SECOND, THIRD]


def test_sidebar_under_its_own_heading_is_not_body() -> None:
    sidebar = """<div class="aside box"><h2>A wall of silence</h2>
      <p>Are the figures a state secret? They should not be, yet the regions keep them from the public.</p>
      <p>Only four regions published their waiting lists this year, and two of them only in part.</p></div>"""
    assert normalise(make_raw(_page("", _story("Rates rise") + sidebar))).body == [LEAD, SECOND, THIRD]


def test_comment_policy_above_the_comments_is_not_body() -> None:
    policy = """<div><p>We welcome a lively debate; please read our guidelines before you post a comment.</p>
      <p>Comments below are the views of their writers, not of this site.</p></div>
      <div class="fb-comments" data-href="/x"> </div>"""
    assert normalise(make_raw(_page("", _story("Rates rise") + policy))).body == [LEAD, SECOND, THIRD]


def test_closing_contributor_credit_is_not_the_story() -> None:
    credit = '<p class="note">Con información de <strong>Ana Ruiz</strong> y <strong>Luis G. Gil</strong>.</p>'
    assert normalise(make_raw(_page("", _story("Rates rise") + credit))).body == [LEAD, SECOND, THIRD]


def test_search_byline_meta_names_the_writer() -> None:
    head = '<meta name="Search.Byline" content="Patti Domm">'
    assert normalise(make_raw(_page(head, _story("Rates rise")))).byline == "Patti Domm"


def test_page_author_reads_what_trafilaturas_metadata_pass_reads() -> None:
    from pipeline.stages.normalise.formats.html import _page_author

    pages = [
        _page('<meta name="author" content="Anna Berg">', _story("Rates rise")),
        _page('<meta name="author" content="Berg">', _story("Rates rise")),  # one word: not a name to the pass
        _page('<script type="application/ld+json">{"@type": "NewsArticle", "author": {"@type": "Person", '
              '"name": "Jo &amp; Lee Park"}}</script>', _story("Rates rise")),
        _page("", '<p class="byline">By <a rel="author" href="/a">Carl Lund</a></p>' + _story("Rates rise")),
        _page("", _story("Rates rise")),
    ]
    for page in pages:
        tree = parse_page(page)
        assert tree is not None
        expected = trafilatura.extract_metadata(parse_page(page)).author or None
        assert _page_author(tree) == expected
    assert _page_author(parse_page(pages[0])) == "Anna Berg"


def test_place_printed_in_the_byline_block_is_the_dateline() -> None:
    block = """<div class="firma"><span class="autor"><a rel="author" href="/a">Ana Ruiz</a></span>
      <span class="data">Madrid</span><a href="/fecha">27 OCT 2012 - 12:14</a></div>"""
    story = normalise(make_raw(_page("", block + _story("Rates rise"))))
    assert story.dateline is not None and story.dateline.place == "Madrid"
    assert story.body == [LEAD, SECOND, THIRD]


def test_byline_label_and_hidden_text_in_the_byline_block_are_no_place() -> None:
    block = """<div class="byline"><span>By</span><span class="author"><a href="/a">Carl Lund</a></span>
      <span style="display: none">The Daily Example</span><br>on December 27, 2014</div>"""
    assert normalise(make_raw(_page("", block + _story("Rates rise")))).dateline is None
