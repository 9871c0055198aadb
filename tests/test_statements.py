"""HTML statements: escaping, safe file names, no network references, and all-or-nothing writing."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from cspay.errors import OutputError
from cspay.i18n import Words
from cspay.inputs.resolve import open_inputs
from cspay.outputs import statements as module
from cspay.outputs.files import check_folder, write_folder
from cspay.outputs.statements import pages, safe_stem
from cspay.policy.loader import load_policy
from cspay.run.pay import pay

DATA = Path(__file__).parent / "data"
# Anything that would make a browser fetch: a URL with a scheme or protocol-relative, CSS imports, url().
FETCHES = re.compile(r"https?:|//|@import|url\(|\bsrc\s*=|<script|<link|<iframe|<img|<object|<embed", re.I)


class Text(HTMLParser):
    """The text a reader sees (and what a screen reader says), without tags or the style sheet."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag, attrs):
        self._in_style = tag == "style"
        self.parts += [value for name, value in attrs if name == "aria-label" and value]

    def handle_endtag(self, tag):
        self._in_style = False

    def handle_data(self, data):
        if not self._in_style:
            self.parts.append(data)


def seen_text(html: str) -> str:
    parser = Text()
    parser.feed(html)
    return " ".join(parser.parts)


def render(policy_file: str, metrics_file: str, language: str) -> dict[str, str]:
    policy = load_policy(DATA / policy_file)
    run = pay(open_inputs(policy, [DATA / metrics_file]))
    made = pages(run, run.payslips, Words(language))
    return {name: html if isinstance(html, str) else "".join(html) for name, html in made}


@pytest.fixture(scope="module")
def clean_pages():
    return render("standard.yaml", "month-plain.csv", "en")


@pytest.fixture(scope="module")
def hostile_pages():
    return render("standard.yaml", "hostile.csv", "en")


def test_one_page_per_agent_and_an_index(clean_pages):
    """Each agent gets a page named by id, and index.html comes last."""
    assert ["A001.html", "007.html", "A003.html", "A004.html", "index.html"] == list(clean_pages)


def test_pages_reference_nothing_outside_themselves(clean_pages):
    """No page names a URL, a protocol-relative path, a script, an image or a style sheet to fetch."""
    for name, html in clean_pages.items():
        for reference in ("http://", "https://", "//"):
            assert reference not in html, (name, reference)
        assert FETCHES.search(html) is None, name


def test_pages_forbid_fetching_in_their_security_policy(clean_pages):
    """Every page carries a Content-Security-Policy that allows inline style and nothing else."""
    policy = "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">"
    assert all(policy in html for html in clean_pages.values())


def test_index_links_only_to_the_statements(clean_pages):
    """The index's links are the statement files, nothing else."""
    links = re.findall(r'href="([^"]*)"', clean_pages["index.html"])
    assert ["A001.html", "007.html", "A003.html", "A004.html"] == links


def test_script_in_a_name_shows_as_text(hostile_pages):
    """A name like <script>alert(1)</script> is escaped wherever it appears."""
    html = hostile_pages["x.html"]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script" not in html.lower() and "<b>" not in html
    assert "<script" not in hostile_pages["index.html"].lower()


def test_formula_in_a_name_shows_as_text(hostile_pages):
    """A formula-looking name is shown as written, its quotes escaped, never as a link."""
    html = hostile_pages["x-2.html"]
    assert "=HYPERLINK(&#34;http://x&#34;)" in html
    assert FETCHES.search(html.replace("=HYPERLINK(&#34;http://x&#34;)", "")) is None


def test_hostile_ids_get_safe_distinct_names(hostile_pages):
    """`../x`, `x`, `./X`, `CON`, `index` and `a/b` become distinct names inside the folder."""
    expected = ["x.html", "x-2.html", "agent-CON.html", "agent-index.html", "a_b.html", "X-3.html", "index.html"]
    assert expected == list(hostile_pages)


@pytest.mark.parametrize(
    ("agent_id", "expected"),
    [
        ("../x", "x"),
        ("..", "agent"),
        ("", "agent"),
        ("a b/c\\d", "a_b_c_d"),
        ("-rf", "rf"),
        ("nul", "agent-nul"),
        ("COM1", "agent-COM1"),
        ("工号007", "工号007"),
        ("ＡＢ", "AB"),
        ("x" * 300, "x" * 200),
        ("张" * 100, "张" * 66),
    ],
)
def test_safe_stem(agent_id, expected):
    """An id becomes a file name with no folder parts, no leading dots or dashes, and no device name."""
    assert expected == safe_stem(agent_id)


def test_zh_statements_have_no_english_word(tmp_path):
    """With --lang zh on a Chinese policy, no Latin letter is left in what a reader sees."""
    for name, html in render("zh-hotline.yaml", "zh-month.csv", "zh").items():
        assert re.search("[A-Za-z]", seen_text(html)) is None, (name, re.findall("[A-Za-z]+", seen_text(html)))


def test_zh_statement_writes_money_in_yuan():
    """Chinese statements write amounts as 7,940.00 元."""
    html = render("standard.yaml", "month.csv", "zh")["A001.html"]
    assert "7,940.00 元" in html and "¥" not in html


def test_statement_shows_a_bar_per_kpi(clean_pages):
    """Each KPI row has an inline SVG bar with ticks at threshold, target and stretch."""
    assert 4 == clean_pages["A001.html"].count('<svg class="bar"')


def test_existing_files_are_refused_without_force(tmp_path):
    """A folder holding a file that would be replaced is refused, naming the file."""
    (tmp_path / "A001.html").write_text("old", encoding="utf-8")
    with pytest.raises(OutputError, match=r"1 of the files exist \(A001.html\); pass --force to replace them"):
        check_folder(tmp_path, ["A001.html", "index.html"], force=False)


def test_other_files_in_the_folder_are_left_alone(tmp_path):
    """Files the run does not write are neither refused nor touched."""
    (tmp_path / "notes.txt").write_text("keep", encoding="utf-8")
    check_folder(tmp_path, ["A001.html"], force=False)
    write_folder(tmp_path, [("A001.html", "new")], force=False)
    assert ["A001.html", "notes.txt"] == sorted(p.name for p in tmp_path.iterdir())


def test_a_failure_leaves_nothing_behind(tmp_path):
    """When a page fails half-way, no statement and no temporary file remains, nor the new folder."""
    folder = tmp_path / "out"

    def failing():
        yield "A001.html", "one"
        raise RuntimeError("disk on fire")

    with pytest.raises(RuntimeError):
        write_folder(folder, failing(), force=False)
    assert not folder.exists()


def test_a_failure_in_an_existing_folder_keeps_the_old_files(tmp_path):
    """With --force, a failed run leaves the previous statements as they were."""
    (tmp_path / "A001.html").write_text("old", encoding="utf-8")

    def failing():
        yield "A001.html", "new"
        raise RuntimeError("disk on fire")

    with pytest.raises(RuntimeError):
        write_folder(tmp_path, failing(), force=True)
    assert ["A001.html"] == [p.name for p in tmp_path.iterdir()]
    assert "old" == (tmp_path / "A001.html").read_text(encoding="utf-8")


def test_templates_escape_by_default():
    """The Jinja2 environment escapes every value, in every template."""
    assert module.environment().autoescape is True


@pytest.mark.parametrize(
    ("page", "language", "sentence"),
    [
        ("A001.html", "en", "on the targets of queue complaints"),
        ("007.html", "en", "on the targets of queue sales"),
        ("A003.html", "en", "on the general targets: queue retail has none of its own"),
        ("A004.html", "en", "on the general targets: queue is empty"),
        ("A001.html", "zh", "按queue“complaints”的目标"),
        ("A003.html", "zh", "按通用目标：queue“retail”没有单独目标"),
        ("A004.html", "zh", "按通用目标：queue为空"),
    ],
)
def test_statement_says_whose_targets_scored_a_kpi_by_group(page, language, sentence):
    """A statement says which group's curve scored a KPI by queue: a listed queue's own (named as the policy
    names it), or the general targets for a queue not listed and for an empty cell."""
    assert sentence in seen_text(render("queues.yaml", "queue-month.csv", language)[page])


def test_statement_bar_of_a_kpi_by_group_marks_its_group_curve():
    """The bar of a KPI on sales' bands has one tick per band (2), not the three points of the own curve."""
    html = render("queues.yaml", "queue-month.csv", "en")["007.html"]
    first_bar = html.split('<svg class="bar"')[1].split("</svg>")[0]
    assert 2 == first_bar.count('height="12" fill="#555"')
