"""The questionary front end in-process: keystrokes through prompt_toolkit's pipe input, screen to
DummyOutput, everything the front end prints captured from its rich console."""

from __future__ import annotations

import io
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

from prompt_toolkit.application import create_app_session
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput
from rich.console import Console

from quiz.model import Card, CardType, Citation, Deck, Mark, State
from quiz.session import Session, StudyOptions
from quiz.store import Store
from quiz.ui.prompts import PromptFrontend

UTC = timezone.utc
START = datetime(2026, 11, 21, 10, 0, tzinfo=UTC)
M = Mark(1, 1)
ENTER, CTRL_C, CTRL_D, DOWN = "\r", "\x03", "\x04", "\x1b[B"
SOURCE = (
    "Moscow. Russia will stop operating on the ISS after 2024, Roscosmos said.\n"
    "Appointed in mid-July, Yuri Borissov replaced Dmitri Rogozin at Roscosmos.\n"
    "The station would cost $6 billion according to Interfax.\n"
    "NASA said it had not received any official notice.\n"
)


class Clock:
    def __init__(self) -> None:
        self.t = START

    def now(self) -> datetime:
        self.t += timedelta(seconds=2)  # every look at the clock is two seconds later
        return self.t


def c(quote: str) -> tuple[Citation, ...]:
    return (Citation("a.txt", quote, M, M),)


CARDS = {
    "typed": Card(id="who", type=CardType.TYPED, cite=c("Yuri Borissov replaced Dmitri Rogozin"), mark=M,
                  question="Who replaced Dmitry Rogozin?", answer="Yuri Borisov", accept=("Borissov",)),
    "choice": Card(id="cost", type=CardType.CHOICE, cite=c("cost $6 billion"), mark=M, question="What cost?",
                   answer="$6 billion", choices=("$6 billion", "$1 billion", "$16 billion")),
    "truefalse": Card(id="notice", type=CardType.TRUEFALSE, cite=c("NASA said it had not received any official notice"),
                      mark=M, question="NASA had received official notice.", answer="false"),
    "flip": Card(id="where", type=CardType.FLIP, cite=c("Moscow"), mark=M, question="Where was the exit announced?",
                 answer="Moscow"),
    "cloze": Card(id="exit", type=CardType.CLOZE, cite=c("stop operating on the ISS after 2024"), mark=M,
                  text="Russia will leave the ISS {{after 2024}}."),
    "missing": Card(id="lost", type=CardType.TYPED, cite=c("a quote that is nowhere"), mark=M,
                    question="Lost?", answer="yes"),
}


def make_deck(tmp_path: Path, *kinds: str) -> Deck:
    (tmp_path / "src").mkdir(exist_ok=True)
    (tmp_path / "src" / "a.txt").write_text(SOURCE, encoding="utf-8")
    return Deck(id="iss", title="ISS", path=tmp_path / "iss.yaml", sources=tmp_path / "src",
                cards=tuple(CARDS[k] for k in kinds))


def study(tmp_path: Path, deck: Deck, keys: str, options: StudyOptions | None = None, width: int = 100):
    """Run a whole session on `keys`; return (summary, printed text, store reviews, store items)."""
    out = io.StringIO()
    console = Console(file=out, width=width, no_color=True, highlight=False, emoji=False, force_terminal=False)
    with Store(tmp_path / "quiz.db") as store, create_pipe_input() as inp:
        inp.send_text(keys)
        with create_app_session(input=inp, output=DummyOutput()):
            summary = Session([deck], store, Clock(), PromptFrontend(console), options or StudyOptions(tz=UTC)).run()
        return summary, out.getvalue(), list(store.reviews("iss")), store.items("iss")


def test_typed_correct_shows_verdict_answer_and_highlighted_evidence(tmp_path):
    summary, text, log, _ = study(tmp_path, make_deck(tmp_path, "typed"), "Yuri Borisov" + ENTER + ENTER + CTRL_D)
    assert text.splitlines()[:7] == [
        "",
        "ISS · 1 left today · new 1 · learning 0 · review 0",
        "Who replaced Dmitry Rogozin?",
        "Correct",
        "Answer: Yuri Borisov",
        "  a.txt:2  “«Yuri Borissov» replaced Dmitri Rogozin”",
        "",
    ]
    assert [(r.card, r.verdict, r.rating, r.answer) for r in log] == [("who", "correct", 3, "Yuri Borisov")]
    assert not summary.interrupted


def test_almost_suggests_hard_and_shows_the_diff(tmp_path):
    _, text, log, _ = study(tmp_path, make_deck(tmp_path, "typed"), "Yuri Borosov" + ENTER + ENTER + CTRL_D)
    assert "Almost — Yuri Bor[i]sov (spelling: 1 letter off)" in text
    assert [(r.verdict, r.rating, r.override) for r in log] == [("almost", 2, False)]


def test_wrong_then_a_better_rating_is_an_override(tmp_path):
    _, text, log, _ = study(tmp_path, make_deck(tmp_path, "typed"), "Gagarin" + ENTER + "3" + CTRL_D)
    assert text.splitlines()[3] == "Wrong"
    assert [(r.verdict, r.rating, r.override) for r in log] == [("wrong", 3, True)]


def test_wrong_answer_enter_accepts_again(tmp_path):
    _, _, log, items = study(tmp_path, make_deck(tmp_path, "typed"), "Gagarin" + ENTER + ENTER + CTRL_D)
    assert [(r.verdict, r.rating, r.override) for r in log] == [("wrong", 1, False)]
    assert items[("who", 0)].state.state is State.LEARNING


def test_choice_by_number_key(tmp_path):
    deck = make_deck(tmp_path, "choice")
    # find where the seeded shuffle put the right answer, then press its number
    from quiz.scheduler import item_seed
    import random

    options = list(CARDS["choice"].choices)
    random.Random(item_seed("iss", "cost", 0, 0)).shuffle(options)
    key = str(options.index("$6 billion") + 1)
    _, _, log, _ = study(tmp_path, deck, key + "4" + CTRL_D)
    assert [(r.answer, r.verdict, r.rating) for r in log] == [("$6 billion", "correct", 4)]
    wrong = str(options.index("$1 billion") + 1)
    other = tmp_path / "again"
    other.mkdir()
    _, _, log, _ = study(other, make_deck(other, "choice"), wrong + ENTER + CTRL_D)
    assert [(r.answer, r.verdict, r.rating) for r in log] == [("$1 billion", "wrong", 1)]


def test_a_choice_card_longer_than_the_shortcut_keys_is_answered_with_the_arrows(tmp_path):
    # questionary refuses more choices than it has shortcut keys (ValueError, a crash mid-session); the
    # loader caps a deck's choices, and the prompt still copes with a longer list built in code.
    from quiz.scheduler import item_seed
    import random

    options = [f"${n} billion" for n in range(1, 41)]
    card = Card(id="many", type=CardType.CHOICE, cite=c("cost $6 billion"), mark=M, question="What cost?",
                answer="$6 billion", choices=tuple(options))
    deck = Deck(id="iss", title="ISS", path=tmp_path / "iss.yaml", sources=tmp_path, cards=(card,))
    shuffled = list(options)
    random.Random(item_seed("iss", "many", 0, 0)).shuffle(shuffled)
    steps = shuffled.index("$6 billion")
    _, _, log, _ = study(tmp_path, deck, DOWN * steps + ENTER + ENTER + CTRL_D)
    assert [(r.answer, r.verdict) for r in log] == [("$6 billion", "correct")]


def test_the_loaders_choice_cap_fits_questionarys_shortcut_keys():
    from questionary.prompts.common import InquirerControl

    from quiz.deck import MAX_CHOICES
    from quiz.ui.prompts import SHORTCUT_KEYS

    assert MAX_CHOICES <= SHORTCUT_KEYS == len(InquirerControl.SHORTCUT_KEYS)


def test_truefalse_answers_on_one_key_and_a_stray_enter_answers_nothing(tmp_path):
    _, text, log, _ = study(tmp_path, make_deck(tmp_path, "truefalse"), "f" + ENTER + CTRL_D)
    assert [(r.answer, r.verdict) for r in log] == [("false", "correct")]
    assert "  a.txt:4  “NASA said it had not received any official notice”" in text
    # Enter (and any other key) is ignored: nothing is preselected; "2" is False, then Enter accepts Good
    (tmp_path / "b").mkdir()
    _, _, log, _ = study(tmp_path / "b", make_deck(tmp_path / "b", "truefalse"), ENTER + ENTER + "x2" + ENTER + CTRL_D)
    assert [(r.answer, r.verdict, r.rating) for r in log] == [("false", "correct", 3)]
    (tmp_path / "c").mkdir()
    _, _, log, _ = study(tmp_path / "c", make_deck(tmp_path / "c", "truefalse"), "1" + ENTER + CTRL_D)
    assert [(r.answer, r.verdict, r.rating) for r in log] == [("true", "wrong", 1)]


def test_one_key_rates_and_acts_at_once(tmp_path):
    # no Enter after the rating key: "2" is Hard at once, and the next card is asked
    deck = make_deck(tmp_path, "typed", "flip")
    _, text, log, _ = study(tmp_path, deck, "Borisov" + ENTER + "2" + " " + "q")
    assert [(r.card, r.rating) for r in log] == [("who", 2)]
    assert "Recall the answer: Where was the exit announced?" in text


def test_practice_offers_no_suspend_or_bury(tmp_path):
    deck = make_deck(tmp_path, "typed")
    _, text, log, items = study(tmp_path, deck, "Borisov" + ENTER + "s" + "b" + "3",
                                StudyOptions(tz=UTC, practice=True))
    assert [(r.rating, r.practice) for r in log] == [(3, True)]
    assert items == {} and "Suspended" not in text and "Buried" not in text


def test_flip_enter_reveals_then_self_rating(tmp_path):
    _, text, log, _ = study(tmp_path, make_deck(tmp_path, "flip"), ENTER + "4" + CTRL_D)
    assert text.splitlines()[2:4] == ["Recall the answer: Where was the exit announced?", "Answer: Moscow"]
    assert [(r.verdict, r.rating) for r in log] == [("self", 4)]


def test_cloze_gap(tmp_path):
    _, text, log, _ = study(tmp_path, make_deck(tmp_path, "cloze"), "after 2024" + ENTER + ENTER + CTRL_D)
    assert [(r.card, r.gap, r.verdict) for r in log] == [("exit", 1, "correct")]
    assert "  a.txt:1  “stop operating on the ISS «after 2024»”" in text


def test_missing_citation_is_flagged_but_studying_goes_on(tmp_path):
    _, text, log, _ = study(tmp_path, make_deck(tmp_path, "missing"), "yes" + ENTER + ENTER + CTRL_D)
    assert "  ⚠ citation not found in a.txt: “a quote that is nowhere”" in text
    assert len(log) == 1


def test_undo_suspend_bury_quit_from_the_rating_menu(tmp_path):
    deck = make_deck(tmp_path, "typed", "flip", "cloze", "truefalse")
    keys = ("Yuri Borisov" + ENTER + "4"      # who: Easy
            + " " + "u"                       # where (flip): Space reveals; undo -> who again
            + "Borissov" + ENTER + "4"        # who again: Easy
            + ENTER + "s"                     # where: suspend
            + "after 2024" + ENTER + "b"      # exit/1: bury
            + "t" + "q")                      # notice: quit without rating
    summary, text, log, items = study(tmp_path, deck, keys)
    assert [(r.card, r.answer, r.rating) for r in log] == [("who", "Borissov", 4)]
    assert items[("where", 0)].suspended
    assert items[("exit", 1)].buried_until is not None
    assert ("notice", 0) not in items
    assert "Undid the answer to who; asking it again." in text
    assert "Suspended where (quiz unsuspend brings it back)." in text
    assert "Buried exit until tomorrow." in text
    assert summary.answers == 1 and not summary.interrupted


def test_ctrl_c_at_a_question_interrupts_and_keeps_confirmed_answers(tmp_path):
    deck = make_deck(tmp_path, "typed", "flip")
    summary, text, log, _ = study(tmp_path, deck, "Yuri Borisov" + ENTER + "4" + CTRL_C)
    assert summary.interrupted and [r.card for r in log] == ["who"]
    assert "Interrupted: 1 card studied (1 answer: 1 correct, 0 almost, 0 wrong)" in text


def test_ctrl_c_and_ctrl_d_at_the_rating_menu(tmp_path):
    summary, _, log, _ = study(tmp_path, make_deck(tmp_path, "typed"), "Yuri Borisov" + ENTER + CTRL_C)
    assert summary.interrupted and log == []
    (tmp_path / "d").mkdir()
    summary, _, log, _ = study(tmp_path / "d", make_deck(tmp_path / "d", "typed"), "Yuri Borisov" + ENTER + CTRL_D)
    assert not summary.interrupted and log == []


def test_rating_menu_moves_with_arrows(tmp_path):
    # correct -> Good preselected; one step down is Easy
    _, _, log, _ = study(tmp_path, make_deck(tmp_path, "typed"), "Borisov" + ENTER + DOWN + ENTER + CTRL_D)
    assert [r.rating for r in log] == [4]


def test_practice_session_through_the_prompts(tmp_path):
    deck = make_deck(tmp_path, "typed")
    summary, text, log, items = study(tmp_path, deck, "Borisov" + ENTER + ENTER, StudyOptions(tz=UTC, practice=True))
    assert [r.practice for r in log] == [True] and items == {}
    assert "ISS · 1 left · practice" in text
    assert "Practice over: 1 card studied" in text


def test_forty_columns_wrap_without_losing_words(tmp_path):
    _, text, _, _ = study(tmp_path, make_deck(tmp_path, "typed", "flip"), "Borisov" + ENTER + ENTER + CTRL_C, width=40)
    assert all(len(line) <= 40 for line in text.splitlines())
    assert text.splitlines()[1:3] == ["ISS · 2 left today · new 2 · learning 0", "review 0"]
    assert "Interrupted: 1 card studied (1 answer: 1\ncorrect, 0 almost, 0 wrong) in" in text


def test_evidence_that_does_not_fit_goes_under_its_source(tmp_path):
    _, text, _, _ = study(tmp_path, make_deck(tmp_path, "typed"), "Borisov" + ENTER + ENTER + CTRL_D, width=30)
    assert "\n  a.txt:2\n    “«Yuri Borissov» replaced\n    Dmitri Rogozin”\n" in text


ESCAPES = "Russia will leave the station after 2024.\x1b]0;window title\x07 The crew \x1b[2J\x1b[Hwill return home.\n"


def escape_deck(tmp_path: Path) -> Deck:
    """A source with terminal escape sequences inside a found (ellipsis) quote: the evidence is its text."""
    (tmp_path / "src").mkdir(exist_ok=True)
    (tmp_path / "src" / "a.txt").write_text(ESCAPES, encoding="utf-8")
    card = Card(id="exit", type=CardType.TYPED, cite=c("leave the station after 2024. ... will return home"), mark=M,
                question="When?", answer="after 2024")
    return Deck(id="iss", title="ISS", path=tmp_path / "iss.yaml", sources=tmp_path / "src", cards=(card,))


def test_control_characters_in_a_source_are_shown_escaped_in_the_evidence(tmp_path):
    """B14: ESC/BEL from a source file never reach the terminal; the answer is still marked."""
    _, text, _, _ = study(tmp_path, escape_deck(tmp_path), "after 2024" + ENTER + ENTER + CTRL_D, width=200)
    assert ("  a.txt:1  “leave the station «after 2024».\\x1b]0;window title\\x07 The crew \\x1b[2J\\x1b[Hwill "
            "return home”") in text.splitlines()
    assert "\x1b" not in text and "\x07" not in text


def test_control_characters_in_a_source_are_escaped_in_coloured_evidence_too(tmp_path):
    """With colour the answer is styled by offsets: the escapes must not shift the highlight."""
    out = io.StringIO()
    console = Console(file=out, width=200, force_terminal=True, color_system="standard", highlight=False, emoji=False)
    with Store(tmp_path / "quiz.db") as store, create_pipe_input() as inp:
        inp.send_text("after 2024" + ENTER + ENTER + CTRL_D)
        with create_app_session(input=inp, output=DummyOutput()):
            Session([escape_deck(tmp_path)], store, Clock(), PromptFrontend(console), StudyOptions(tz=UTC)).run()
    text = out.getvalue()
    evidence = next(line for line in text.splitlines() if "a.txt:1" in line)
    # rich's own styling is SGR (ESC [ ... m); nothing else of ESC, and no BEL
    assert re.sub(r"\x1b\[[0-9;]*m", "", evidence) == (
        "  a.txt:1  “leave the station after 2024.\\x1b]0;window title\\x07 The crew \\x1b[2J\\x1b[Hwill return home”")
    assert "\x07" not in text
    assert re.search(r"\x1b\[[0-9;]*m(after 2024)\x1b\[0m", evidence), evidence


def test_almost_highlights_the_differing_letters_in_colour(tmp_path):
    """On a colour terminal the expected spelling is shown with its differing letters styled, not in [ ]."""
    out = io.StringIO()
    console = Console(file=out, width=200, force_terminal=True, color_system="standard", highlight=False, emoji=False)
    with Store(tmp_path / "quiz.db") as store, create_pipe_input() as inp:
        inp.send_text("Yuri Borosov" + ENTER + ENTER + CTRL_D)
        with create_app_session(input=inp, output=DummyOutput()):
            Session([make_deck(tmp_path, "typed")], store, Clock(), PromptFrontend(console), StudyOptions(tz=UTC)).run()
    line = next(line for line in out.getvalue().splitlines() if "Almost" in line)
    assert re.sub(r"\x1b\[[0-9;]*m", "", line) == "Almost — Yuri Borisov (spelling: 1 letter off)"
    assert re.search(r"\x1b\[[0-9;]*7[0-9;]*m(i)\x1b\[0m", line), line  # 7: reverse video on the "i" alone


def seed_leech(db: Path, lapses: int) -> None:
    from quiz.model import ItemState, Review

    due = START - timedelta(hours=1)
    state = ItemState(state=State.REVIEW, stability=5.0, difficulty=8.0, due=due, last_review=due - timedelta(days=3),
                      reps=20, lapses=lapses)
    with Store(db) as store:
        store.record(Review(deck="iss", card="who", gap=0, reviewed_at=due - timedelta(days=3), rating=3,
                            verdict="correct", answer="", duration_ms=1000, before=ItemState(), after=state,
                            interval_days=3.0))


def test_a_leech_shows_its_paragraph_and_s_suspends_it(tmp_path):
    deck = make_deck(tmp_path, "typed")
    (tmp_path / "src" / "a.txt").write_text("Moscow.\n\nAppointed in mid-July,\nYuri Borissov replaced Dmitri Rogozin "
                                            "at Roscosmos.\x1b[2J\n\nNASA said nothing.\n", encoding="utf-8")
    seed_leech(tmp_path / "quiz.db", 7)
    _, text, log, items = study(tmp_path, deck, "Gagarin" + ENTER + ENTER + "s")
    assert [(r.verdict, r.rating, r.after.lapses) for r in log][-1] == ("wrong", 1, 8)
    assert "Leech: who has lapsed 8 times. Re-read the passage below, then rewrite the card or suspend it." in text
    assert "  re-read: a.txt, lines 3–4\n" in text
    assert ("    “Appointed in mid-July, «Yuri Borissov replaced Dmitri Rogozin» at Roscosmos.\\x1b[2J”"
            in text), text
    assert "Suspended who (quiz unsuspend brings it back)." in text
    assert items[("who", 0)].suspended


def test_a_leech_is_kept_on_enter(tmp_path):
    deck = make_deck(tmp_path, "typed")
    seed_leech(tmp_path / "quiz.db", 7)
    _, text, _, items = study(tmp_path, deck, "Gagarin" + ENTER + ENTER + ENTER + CTRL_D)
    assert "Leech: who has lapsed 8 times." in text and "re-read: a.txt, lines 1–4" in text  # no blank lines: one paragraph
    assert not items[("who", 0)].suspended
