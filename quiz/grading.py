"""Typed-answer grading policy. Pure: no I/O, no clock, never raises on any answer text.

How an answer is judged against the expected answer (and each `accept` entry; the best result wins):

1. Both sides are normalized (`normalize`): NFKC, case folded, accents removed from Latin/Greek/Cyrillic
   letters (ł, ø, æ, ... folded too), digits of any script made ASCII, "%" read as "percent" and "&" as
   "and", other punctuation and symbols turned into spaces (currency symbols are kept as their own word,
   a "." between digits is a decimal point, a "," before a group of three digits is a thousands
   separator), leading articles (a/an/the) dropped, spaces collapsed. Equal normalized text is CORRECT.

2. Numbers and dates are strict. When either side contains a number (digits or number words, "six" ..
   "twenty", tens, hundred, thousand, million, billion, trillion, and the suffixes k/mn/bn/tn) the
   numbers are compared by value, in order: a different, extra or missing number is WRONG, never a
   typo ("2028" for "2024"). "6 billion", "six billion", "6bn" and "6,000,000,000" are the same value.
   Dates: month names and their abbreviations (next to a number) are equal ("Dec 1993" = "December
   1993"); "12/1993", "1993-12" and "1993/12" are December 1993; "1993-12-26" is ISO; "26/12/1993"
   and "12/26/1993" are read as day/month or month/day only when one part is above 12 (otherwise the
   date stays three plain numbers, so it only matches the same digits). "no"/"none" next to an expected zero are zero ("no gravity" =
   "zero gravity"). With the numbers right, the words around them decide ("in", "on", "of", "year",
   "old" and articles are ignored; qualifiers are read by meaning: until = till = through = to,
   after = post = beyond, about = around = approximately): the same words are CORRECT, and so are
   added filler words (see 4: "he was 65", "sometime after 2024") and a word or two naming what a bare
   number counts ("11 countries" for "11"). A negation ("not after 2024") or a qualifier pointing the
   other way ("before 2024", "until 2024" for "after 2024") is WRONG. A missing day or month is ALMOST
   ("less precise"), as are up to two missing words or a missing qualifier ("2024" for "after 2024"),
   an added qualifier ("about 6 billion" for "6 billion"), another qualifier pointing the same way
   ("since 2024" for "after 2024") and other added words ("they will leave after 2024"); otherwise a
   small spelling slip in the words is ALMOST ("Decmber 1993") and anything else is WRONG.
   Currency: "$6 billion", "6 billion dollars" and "6 billion USD" are equal; a currency in the answer
   that the expected answer does not name is ignored; two different currencies are WRONG.

3. Person names (an expected answer of 2-4 capitalized words, no digits, none of them a common
   institution/place word such as "Station" or "Agency"): a transliteration fold is applied to each
   word (y -> i, ks -> x, a final "ij" -> "i", doubled letters single), so Yury/Yuri, Borissov/Borisov,
   Dmitriy/Dmitry/Dmitri are equal. The surname alone, the name in either order and initials with
   the surname ("Y. Borisov") are CORRECT, as are middle names ("Yuri Ivanovich Borisov"); the first
   name alone is WRONG, and so is someone else: another first name (not a title such as "Mr") with the
   surname ("Dmitry Borisov") or a name cut short or lengthened ("Boris", "Borisovich" for
   "Borisov"). A spelling slip keeps a name's length, give or take a letter.

4. An answer holding every word of the expected one, in order, plus other words: filler ("it",
   "was", "he", "they", "sometime", "in", "of", ... `_EXTRA_FILLER`) is ignored, so "It was Yuri
   Borisov" and "in July" are CORRECT. A negation among the other words ("not", "no", "never", "n't")
   is WRONG; a qualifier is ALMOST ("extra qualifier"); a word or two right before a common noun
   describe it and are CORRECT ("economic sanctions", noted "extra words: economic"); other words
   (after it, in the middle, or with a proper noun: "lack of knowledge", "Roscosmos agency") are
   ALMOST ("extra words: ...").

5. Otherwise, the added filler left out, a Damerau-Levenshtein distance (transpositions count as one
   edit) of at most 0 edits up to 3 characters, 1 up to 7, 2 up to 14 and 3 beyond (length of the
   normalized expected answer; for answers with numbers, of the words only) is ALMOST, and the
   expected answer is shown as written with the differing letters marked (`Grade.marks`; "Bor[i]sov",
   a letter too many marks the letter before it). Everything else is WRONG. Partial-match scorers are
   deliberately not used: they give full marks to half an answer.

6. With accept entries: the first CORRECT wins. A WRONG that negates or contradicts an accepted answer
   or names someone else is final ("after 2028" when "until 2028" is accepted). Otherwise the nearest
   ALMOST wins (fewest edits or words apart; on a tie the card's answer, then accept order), and
   `Grade.expected` is the entry it was measured against. Every note quotes the card's answer as
   written, or the student's words, never an accept entry the student has not seen.

7. The work per answer is bounded, so no answer takes more than a few milliseconds to grade: a typed
   answer more than twice as long as the longest of the expected answer and its accept entries, plus 100
   characters, is WRONG ("much longer than the answer") without being compared. An answer or accept entry
   over 6,000 characters, and every entry after the first 6,000 characters of expected answer and accept
   entries, is compared only as written (case and spacing aside): CORRECT when equal, otherwise WRONG.
   Only the first 1,000 accept entries count. An edit distance between texts over 1,000 characters
   counts a transposition as two edits.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from typing import Iterable, Sequence

from quiz.model import Verdict


@dataclass(frozen=True)
class Grade:
    verdict: Verdict
    expected: str  # the answer, or the accept entry the answer was closest to
    note: str = ""  # why, for the student; it quotes the card's answer, never an accept entry
    # Spelling slips: the expected spelling as runs of (text, differs), the letters the student got wrong
    # marked: (("Bor", False), ("i", True), ("sov", False)). Shown as "Bor[i]sov" without colour.
    marks: tuple[tuple[str, bool], ...] = ()

    def marked(self, left: str = "[", right: str = "]") -> str:
        """The marked spelling with each differing run wrapped in `left`/`right`: "Bor[i]sov"."""
        return "".join(f"{left}{text}{right}" if differs else text for text, differs in self.marks)


# --------------------------------------------------------------------------------------------------
# Normalization

_ARTICLES = frozenset({"a", "an", "the"})
# Letters that do not decompose under NFKD but that a student typing on an English keyboard writes plainly.
_LETTER_FOLD = str.maketrans({"ł": "l", "ø": "o", "đ": "d", "ħ": "h", "ı": "i", "æ": "ae", "œ": "oe",
                              "þ": "th", "ð": "d", "ŧ": "t", "ŀ": "l"})
_THOUSANDS_COMMA = re.compile(r"(?<=[0-9]),(?=[0-9]{3}(?![0-9]))")
# Dotted abbreviations: "U.S." and "I.S.S" are "us" and "iss", not the separate letters "u s".
_DOTTED = re.compile(r"(?<![^\W_])(?:[^\W\d_]\.){1,}[^\W\d_](?![^\W_])\.?")


def _accentable(ch: str) -> bool:
    """Letters whose combining marks are accents a student may leave out: Latin, Greek and Cyrillic.

    Marks in other scripts (Devanagari vowel signs, Arabic harakat, ...) change the word, so they stay.
    """
    code = ord(ch)
    return ch.isalpha() and (code < 0x0530 or 0x1E00 <= code < 0x2000)


def _punctuation_table(chars: Iterable[str]) -> dict[int, str]:
    """How the last step of `_normalize_once` rewrites each of `chars` (a str.translate table): letters,
    numbers and marks stay, "%" reads "percent", "&" "and", a currency symbol stays as its own word, "."
    stays (a decimal point; `_LONE_DOT` has already turned every other "." into a space), and every other
    character is a space."""
    table: dict[int, str] = {}
    for ch in chars:
        cat = unicodedata.category(ch)
        if cat[0] in "LNM" or ch == ".":
            continue
        table[ord(ch)] = " percent " if ch == "%" else " and " if ch == "&" else f" {ch} " if cat == "Sc" else " "
    return table


# The table for ASCII, made once; a text with other characters extends a copy of it.
_ASCII_PUNCTUATION = _punctuation_table(map(chr, range(128)))
# The same for ASCII text as a bytes.translate table (one byte for one, far quicker than str.translate):
# what becomes a space does; "%", "&" and "$", which become words, are replaced before it and kept by it.
_ASCII_SPACES = bytes(b if chr(b) in "%&$" or _ASCII_PUNCTUATION.get(b) != " " else 32 for b in range(256))
# A "." that is not between two ASCII digits: a space ("6.5" keeps its decimal point, "U.S" does not).
_LONE_DOT = re.compile(r"(?<![0-9])\.|\.(?![0-9])")


def _normalize_once(text: str) -> str:
    s = unicodedata.normalize("NFKC", text).casefold()
    # ASCII text (the usual) has nothing to fold, decompose or compose: the steps up to NFC give it back.
    if not s.isascii():
        s = s.translate(_LETTER_FOLD)
        decomposed = unicodedata.normalize("NFKD", s)
        # Only a combining mark (Mn) or a non-ASCII digit (Nd) is changed below; without one the loop would
        # give `decomposed` back, so it is not run.
        if any(unicodedata.category(ch) in ("Mn", "Nd") for ch in set(decomposed) if not ch.isascii()):
            chars: list[str] = []
            strip_marks = False
            for ch in decomposed:
                if unicodedata.category(ch) == "Mn":
                    if strip_marks:
                        continue
                else:
                    strip_marks = _accentable(ch)
                    if unicodedata.category(ch) == "Nd":
                        ch = str(unicodedata.decimal(ch))
                chars.append(ch)
            decomposed = "".join(chars)
        s = unicodedata.normalize("NFC", decomposed)
    # Each pattern below needs its "," or "."; most answers have neither, and a search costs more than `in`.
    if "," in s:
        s = _THOUSANDS_COMMA.sub("", s)
    if "." in s:
        s = _DOTTED.sub(lambda m: m.group(0).replace(".", ""), s)
        s = _LONE_DOT.sub(" ", s)
    # Punctuation and symbols to spaces, character by character (`_punctuation_table`).
    if s.isascii():
        for symbol in "%&$":
            if symbol in s:
                s = s.replace(symbol, _ASCII_PUNCTUATION[ord(symbol)])
        words = s.encode("ascii").translate(_ASCII_SPACES).decode("ascii").split()
    else:
        table = {**_ASCII_PUNCTUATION, **_punctuation_table(ch for ch in set(s) if not ch.isascii())}
        words = s.translate(table).split()
    # Only leading articles, and never the whole answer: "The Russian Orbital Station", but "A" stays "a".
    while len(words) > 1 and words[0] in _ARTICLES:
        words.pop(0)
    return " ".join(words)


def normalize(text: str) -> str:
    """Comparable form of an answer (see the module docstring). Idempotent."""
    if text.isascii():
        # One pass is the fixed point: it leaves lower-case letters, digits, "." only between two digits,
        # "$" as a word of its own and single spaces, no leading article unless alone, all of which the
        # next pass keeps as they are.
        return _normalize_once(text)
    s = text
    # Case folding and NFKC can each expose something the other changes (e.g. a folded letter that
    # composes differently), so repeat the single pass until nothing changes; two passes suffice in practice.
    for _ in range(5):
        t = _normalize_once(s)
        if t == s:
            break
        s = t
    return s


# --------------------------------------------------------------------------------------------------
# Dates written with digits, rewritten to words before normalization (which would lose the separators)

_MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september",
           "october", "november", "december")
_MONTH_WORDS = {name: i + 1 for i, name in enumerate(_MONTHS)}
_MONTH_WORDS.update({"jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8, "sep": 9,
                     "sept": 9, "oct": 10, "nov": 11, "dec": 12})

_ISO_DATE = re.compile(r"(?<![\d/.-])(\d{4})-(\d{1,2})-(\d{1,2})(?![\d/-])")
_NUMERIC_DATE = re.compile(r"(?<![\d/.-])(\d{1,2})([/.-])(\d{1,2})\2(\d{4})(?![\d/-])")
_MONTH_YEAR = re.compile(r"(?<![\d/.-])(\d{1,2})/(\d{4})(?![\d/-])")
_ISO_MONTH = re.compile(r"(?<![\d/.-])(\d{4})[-/](\d{1,2})(?![\d/-])")  # 1993-12, 1993/12


def _date_words(day: int, month: int, year: str) -> str | None:
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return None
    return f"{day} {_MONTHS[month - 1]} {year}"


def _rewrite_dates(text: str) -> str:
    def iso(m: re.Match[str]) -> str:
        return _date_words(int(m.group(3)), int(m.group(2)), m.group(1)) or m.group(0)

    def numeric(m: re.Match[str]) -> str:
        a, b, year = int(m.group(1)), int(m.group(3)), m.group(4)
        if a > 12 or a == b:
            words = _date_words(a, b, year)  # day/month (or both readings agree)
        elif b > 12:
            words = _date_words(b, a, year)  # month/day
        else:
            words = None  # 05/06/2022 could be either: leave the digits to be compared as they are
        return words or m.group(0)

    def month_year(m: re.Match[str]) -> str:
        month = int(m.group(1))
        return f"{_MONTHS[month - 1]} {m.group(2)}" if 1 <= month <= 12 else m.group(0)

    text = _ISO_DATE.sub(iso, text)
    def iso_month(m: re.Match[str]) -> str:
        month = int(m.group(2))
        return f"{_MONTHS[month - 1]} {m.group(1)}" if 1 <= month <= 12 else m.group(0)

    text = _NUMERIC_DATE.sub(numeric, text)
    text = _MONTH_YEAR.sub(month_year, text)
    return _ISO_MONTH.sub(iso_month, text)


def _prepare(text: str) -> str:
    return normalize(_rewrite_dates(unicodedata.normalize("NFKC", text)))


# --------------------------------------------------------------------------------------------------
# Tokens: numbers (by value), months, days, currencies and plain words

_UNITS = {w: i for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
    "sixteen seventeen eighteen nineteen".split())}
_TENS = {w: 10 * (i + 2) for i, w in enumerate("twenty thirty forty fifty sixty seventy eighty ninety".split())}
# Ordinal words end a number: "twenty-first" is 21 like "21st". ("second" is left out: it is also a unit.)
_ORDINALS = {w: i + 1 for i, w in enumerate(
    "first - third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth thirteenth fourteenth "
    "fifteenth sixteenth seventeenth eighteenth nineteenth".split()) if w != "-"}
_ORDINALS.update({w: 10 * (i + 2) for i, w in enumerate(
    "twentieth thirtieth fortieth fiftieth sixtieth seventieth eightieth ninetieth".split())})
_SCALE_WORDS = {"hundred": 2, "thousand": 3, "million": 6, "billion": 9, "trillion": 12}
# Written right after digits ("6bn", "5k") or as their own word ("6 bn"). A bare "m" is left out:
# "6m" is as often metres as millions.
_SCALE_SUFFIXES = {"k": 3, "mn": 6, "mln": 6, "bn": 9, "bln": 9, "tn": 12}
_ORDINAL_SUFFIXES = frozenset({"st", "nd", "rd", "th"})
_CURRENCIES = {
    "$": "USD", "usd": "USD", "dollar": "USD", "dollars": "USD",
    "€": "EUR", "eur": "EUR", "euro": "EUR", "euros": "EUR",
    "£": "GBP", "gbp": "GBP", "pound": "GBP", "pounds": "GBP", "sterling": "GBP",
    "₽": "RUB", "rub": "RUB", "ruble": "RUB", "rubles": "RUB", "rouble": "RUB", "roubles": "RUB",
    "¥": "JPY", "yen": "JPY", "jpy": "JPY", "yuan": "CNY", "cny": "CNY", "rmb": "CNY",
    "₹": "INR", "inr": "INR", "rupee": "INR", "rupees": "INR",
}
# Ignored next to numbers: "in 2028" is "2028", "the year 2030" is "2030", "65 years old" is "65".
_FILLER = frozenset({"in", "on", "at", "of", "the", "a", "an", "and", "year", "years", "old", "aged", "age"})
# Words that qualify a number without changing it; missing or added, they make an answer ALMOST.
_QUALIFIERS = frozenset({
    "after", "before", "by", "until", "till", "since", "from", "to", "about", "around", "approximately",
    "approx", "roughly", "nearly", "almost", "over", "under", "above", "below", "more", "less", "than",
    "least", "most", "up", "early", "mid", "late", "end", "beginning", "circa", "ca", "c", "some",
    "just", "only", "exactly", "precisely", "estimated", "est", "percent", "per", "cent", "beyond",
    "through", "thru", "til", "post", "pre", "prior", "following",
})
# Qualifiers that say the same thing: "through 2030" is "until 2030", "post-2024" is "after 2024".
_SAME_QUALIFIER = {"till": "until", "til": "until", "through": "until", "thru": "until", "to": "until",
                   "post": "after", "beyond": "after", "following": "after", "pre": "before", "prior": "before",
                   "around": "about", "approximately": "about", "approx": "about", "roughly": "about",
                   "circa": "about", "ca": "about", "c": "about"}
# Which way a qualifier points once read by meaning: later/more or earlier/less. An answer that points
# the other way contradicts the expected one ("before 2024" for "after 2024"): wrong, never almost.
_LATER = frozenset({"after", "since", "from", "over", "above", "more"})
_EARLIER = frozenset({"before", "until", "by", "under", "below", "less"})
# Words that add nothing when a student adds them to an answer: "it was Yuri Borisov", "he was 65",
# "sometime after 2024", "in July". Words the expected answer itself has are matched before these.
_EXTRA_FILLER = frozenset("""
    a an the it its is was were are be been will would shall he she they them we i you his her their our
    this that these those there then sometime in on at of for with and as so answer think s
""".split())  # "s": the possessive, "NASA's" is normalized to "nasa s"
# Words that turn an answer into its opposite: "not after 2024", "no sanctions", "wasn't" ("wasn t").
_NEGATIONS = frozenset({"not", "no", "never", "none", "nor", "neither", "without", "non", "t", "isnt",
                        "wasnt", "dont", "didnt", "doesnt", "wont", "cant", "cannot", "arent", "werent"})
# Titles before a surname: "Mr Borisov" is not another first name.
_TITLES = frozenset({"mr", "mrs", "ms", "miss", "mister", "dr", "prof", "professor", "sir", "president",
                     "director", "general", "chief", "minister", "senator", "astronaut", "cosmonaut"})
# "No gravity" is "zero gravity": next to an expected zero these words are the number, not a negation.
_ZERO_WORDS = frozenset({"no", "none", "nil", "null"})

_NUM, _DAY, _MONTH, _UNIT, _WORD = "num", "day", "month", "unit", "word"


@dataclass(frozen=True)
class _Token:
    kind: str
    key: str  # canonical value: a number's digits, a month's full name, a currency code, the word
    surface: str  # as the student wrote it (normalized), for notes


def _canonical_number(digits: str, exp: int) -> str:
    """Exact decimal string of `digits` (ASCII, maybe with '.') times 10**exp, no float, no int()."""
    groups = digits.split(".")
    if len(groups) > 2:
        if all(len(g) == 3 for g in groups[1:]):  # 1.000.000: European thousands separators
            groups = ["".join(groups)]
        else:  # 1.2.3: a version or a list, compared literally
            return "v" + digits + (f"e{exp}" if exp else "")
    int_part = groups[0]
    frac = groups[1] if len(groups) == 2 else ""
    all_digits, point = int_part + frac, len(int_part) + exp
    if point >= len(all_digits):
        whole, fraction = all_digits + "0" * (point - len(all_digits)), ""
    else:
        whole, fraction = all_digits[:point], all_digits[point:]
    whole, fraction = whole.lstrip("0") or "0", fraction.rstrip("0")
    return whole + ("." + fraction if fraction else "")


_PIECES = re.compile(r"[0-9]+(?:\.[0-9]+)*|[^0-9]+")


def _pieces(norm: str) -> list[tuple[str, str]]:
    """Split normalized words into ("d", digits) and ("w", word) pieces; "6bn" -> 6, bn; "21st" -> 21."""
    pieces: list[tuple[str, str]] = []
    for word in norm.split():
        parts = _PIECES.findall(word)
        for i, part in enumerate(parts):
            if part[0] in "0123456789":
                pieces.append(("d", part))
            elif i > 0 and part in _ORDINAL_SUFFIXES and parts[i - 1][0] in "0123456789":
                continue  # 21st is 21
            else:
                pieces.append(("w", part))
    return pieces


def _word_number(pieces: list[tuple[str, str]], i: int) -> tuple[int, int] | None:
    """Parse number words starting at pieces[i]: (value, index after) or None if no number word there."""
    total = current = 0
    last: str | None = None
    last_scale = 10**20
    j = i
    while j < len(pieces) and pieces[j][0] == "w":
        w = pieces[j][1]
        if w in _ORDINALS:
            v = _ORDINALS[w]
            teen_or_tens = 10 <= v < 20 or v % 10 == 0
            allowed = (None, "hundred", "scale") if teen_or_tens else (None, "tens", "hundred", "scale")
            if last not in allowed:
                break
            current += v
            j += 1
            break
        if w in _UNITS:
            v = _UNITS[w]
            kind = "unit" if v < 10 else "teen"
            if v == 0 and last is not None:
                break
            if kind == "unit" and last not in (None, "tens", "hundred", "scale"):
                break
            if kind == "teen" and last not in (None, "hundred", "scale"):
                break
            current += v
            last = "zero" if v == 0 else kind
        elif w in _TENS:
            if last not in (None, "hundred", "scale"):
                break
            current += _TENS[w]
            last = "tens"
        elif w == "hundred":
            if last not in (None, "unit", "teen") or current >= 100:
                break
            current = (current or 1) * 100
            last = "hundred"
        elif w in _SCALE_WORDS:
            scale = 10 ** _SCALE_WORDS[w]
            if last in ("zero", "scale") or scale >= last_scale or (last is None and total):
                break
            total += (current or 1) * scale
            current, last, last_scale = 0, "scale", scale
        elif (w == "and" and last in ("hundred", "scale") and j + 1 < len(pieces)
              and pieces[j + 1][0] == "w" and (pieces[j + 1][1] in _UNITS or pieces[j + 1][1] in _TENS)):
            pass  # "one hundred and five"
        else:
            break
        j += 1
    if j == i:
        return None
    return total + current, j


def _tokens(norm: str) -> list[_Token]:
    pieces = _pieces(norm)
    tokens: list[_Token] = []
    i = 0
    while i < len(pieces):
        kind, text = pieces[i]
        if kind == "d":
            exp, j = 0, i + 1
            while j < len(pieces) and pieces[j][0] == "w" and (
                    pieces[j][1] in _SCALE_WORDS or pieces[j][1] in _SCALE_SUFFIXES):
                exp += _SCALE_WORDS.get(pieces[j][1]) or _SCALE_SUFFIXES[pieces[j][1]]
                j += 1
            surface = " ".join(p[1] for p in pieces[i:j])
            tokens.append(_Token(_NUM, _canonical_number(text, exp), surface))
            i = j
            continue
        parsed = _word_number(pieces, i)
        if parsed is not None:
            value, j = parsed
            tokens.append(_Token(_NUM, str(value), " ".join(p[1] for p in pieces[i:j])))
            i = j
            continue
        if text == "per" and i + 1 < len(pieces) and pieces[i + 1] == ("w", "cent") or text == "pct":
            tokens.append(_Token(_WORD, "percent", text))  # "6 per cent" and "6 pct" are "6%"
            i += 2 if text == "per" else 1
            continue
        if text in _CURRENCIES:
            if tokens and tokens[-1].kind == _WORD and tokens[-1].key == "us" and _CURRENCIES[text] == "USD":
                tokens.pop()  # "US$"
            tokens.append(_Token(_UNIT, _CURRENCIES[text], text))
        else:
            tokens.append(_Token(_WORD, text, text))
        i += 1
    # Months count as dates only next to a number: "may 2024" is a date, "they may" is not.
    for i, t in enumerate(tokens):
        if t.kind == _WORD and t.key in _MONTH_WORDS:
            near = [tokens[k] for k in (i - 1, i + 1) if 0 <= k < len(tokens)]
            if any(n.kind == _NUM for n in near):
                tokens[i] = _Token(_MONTH, _MONTHS[_MONTH_WORDS[t.key] - 1], t.surface)
    for i, t in enumerate(tokens):
        if t.kind == _NUM and t.key.isdigit() and len(t.key) <= 2 and 1 <= int(t.key) <= 31:
            near = [tokens[k] for k in (i - 1, i + 1) if 0 <= k < len(tokens)]
            if any(n.kind == _MONTH for n in near):
                tokens[i] = _Token(_DAY, t.key, t.surface)
    return tokens


# --------------------------------------------------------------------------------------------------
# Person names

_PARTICLES = frozenset({"van", "von", "de", "da", "di", "du", "del", "della", "der", "den", "le", "la",
                        "bin", "ibn", "al", "el", "ter", "ten", "dos", "das", "zu", "y"})
# Capitalized words that make a phrase an organization, place, title or thing rather than a person.
_NOT_NAME_WORDS = frozenset("""
    the of and for in on at to a an
    station space international agency orbital state states united national federal corporation company
    inc ltd llc university college institute school academy department ministry office council committee
    union republic kingdom empire federation organization organisation association society party program
    programme project mission module laboratory lab center centre house hall church cathedral bridge
    river lake mountain mount mountains island islands ocean sea bay gulf valley desert city town street
    road avenue square park north south east west northern southern eastern western new great old war
    day age era revolution act treaty agreement accord prize award cup games olympics world global
    general director president minister prime deputy secretary chief head chairman governor king queen
    prince princess emperor pope senator times news post daily herald journal press network agency
    russian american european chinese soviet british french german japanese canadian indian italian
    spanish ukrainian english
    airlines airport bank group museum library hospital court army navy force forces air rocket rockets
""".split())


def _is_name_like(text: str) -> bool:
    words = unicodedata.normalize("NFKC", text).split()
    if not 2 <= len(words) <= 4 or any(ch.isdigit() for ch in text):
        return False
    capitalized = 0
    for i, word in enumerate(words):
        core = word.strip(".,;:'’\"-()")
        if not core or not any(ch.isalpha() for ch in core):
            return False
        if core.casefold() in _NOT_NAME_WORDS:
            return False
        if core[0].isupper():
            if len(core) > 1 and core.isupper():
                return False  # an acronym: ISS, NASA
            capitalized += 1
        elif core.casefold() in _PARTICLES and 0 < i < len(words) - 1:
            continue
        else:
            return False
    return capitalized >= 2


_FINAL_IJ = re.compile(r"ij\b")
_DOUBLED = re.compile(r"(.)\1+")


def _translit(word: str) -> str:
    """Fold common transliteration variants of (mostly Russian) names to one spelling."""
    w = word.replace("ks", "x").replace("y", "i")
    w = _FINAL_IJ.sub("i", w)
    return _DOUBLED.sub(r"\1", w)


# --------------------------------------------------------------------------------------------------
# Edit distance and marked spelling

def _allowed_edits(length: int) -> int:
    if length <= 3:
        return 0
    if length <= 7:
        return 1
    if length <= 14:
        return 2
    return 3


# Rule 5 of the policy, in characters after NFKC (which can turn one character into eighteen):
_FULL = 6_000  # the longest text graded in full; a longer one is only compared as written
_GRADED_CHARS = 6_000  # of the expected answer and accept entries graded in full, per answer
_LONG = 1_000  # the longest texts whose edit distance counts a transposition as one edit
_MAX_ACCEPT = 1_000  # accept entries that count


def _distance(a: str, b: str, cutoff: int) -> int:
    """Damerau-Levenshtein distance (transpositions are one edit), or cutoff + 1 if larger.

    rapidfuzz's Damerau-Levenshtein takes time proportional to len(a) * len(b) whatever the cutoff
    (22 s for two 100,000-character texts), its Levenshtein only to the length under a small cutoff.
    A transposition is two Levenshtein edits, so beyond twice the cutoff there is nothing more to compute;
    texts over _LONG characters keep the Levenshtein count (rule 7)."""
    if abs(len(a) - len(b)) > cutoff:
        return cutoff + 1
    from rapidfuzz.distance import DamerauLevenshtein, Levenshtein

    plain = Levenshtein.distance(a, b, score_cutoff=2 * cutoff)
    if plain > 2 * cutoff:
        return cutoff + 1
    if max(len(a), len(b)) > _LONG:
        return min(plain, cutoff + 1)
    return DamerauLevenshtein.distance(a, b, score_cutoff=cutoff)


def _fold_map(text: str) -> tuple[str, list[int]]:
    """`text` folded letter by letter the way `normalize` folds it (case, accents, punctuation to single
    spaces, leading articles dropped), with the index in `text` each folded character comes from."""
    chars: list[str] = []
    origin: list[int] = []
    gap = -1  # where the pending separator started, or -1
    for i, ch in enumerate(text):
        folded = "" if ch.isspace() else _normalize_once(ch)
        if not folded:
            if gap < 0:
                gap = i
            continue
        if gap >= 0 and chars:
            chars.append(" ")
            origin.append(gap)
        gap = -1
        for f in folded:
            chars.append(f)
            origin.append(i)
    folded_text = "".join(chars)
    words = folded_text.split(" ")
    while len(words) > 1 and words[0] in _ARTICLES:
        cut = len(words.pop(0)) + 1
        folded_text, origin = folded_text[cut:], origin[cut:]
    return folded_text, origin


def _marks(answer: str, written: str, e_norm: str, part: str, edits: int) -> tuple[tuple[str, bool], ...]:
    """The expected answer as written, with the letters where `answer` differs from `part` marked.

    `part` is `e_norm` (the normalized `written`) or its last word (a surname). A letter the student
    added marks the expected letter before it ("Borissov" -> "Bori[s]ov"). When the written form does
    not fold letter by letter to `e_norm` (a date in digits, "%" read as "percent"), `e_norm` is shown.
    Nothing is marked when the letters do not line up (the words of a date in another order).
    """
    from rapidfuzz.distance import Levenshtein

    if Levenshtein.distance(answer, part, score_cutoff=2 * edits) > 2 * edits:
        return ()  # a transposition is two Levenshtein edits

    folded, origin = _fold_map(written)
    if folded != e_norm or any(unicodedata.category(ch) == "Cc" for ch in written):
        written, folded, origin = e_norm, e_norm, list(range(len(e_norm)))
    offset = folded.rfind(part)
    if offset < 0 or not part:
        return ()
    differs = [False] * len(written)
    for op in Levenshtein.opcodes(answer, part):
        if op.tag == "equal":
            continue
        spots = range(op.dest_start, op.dest_end) if op.dest_end > op.dest_start else (max(op.dest_start - 1, 0),)
        for spot in spots:
            differs[origin[offset + min(spot, len(part) - 1)]] = True
    runs: list[tuple[str, bool]] = []
    for ch, marked in zip(written, differs):
        if runs and runs[-1][1] == marked:
            runs[-1] = (runs[-1][0] + ch, marked)
        else:
            runs.append((ch, marked))
    return tuple(runs)


def _spelling_note(edits: int) -> str:
    return f"spelling: {edits} letter{'s' if edits != 1 else ''} off"


# --------------------------------------------------------------------------------------------------
# Grading

# A grade against one target, and how far from it the answer is (edits, or words missing or added):
# among several "almost" targets the nearest is named, the card's answer on a tie. A wrong grade with
# cost _CONTRADICTS is decisive: an answer that negates or contradicts one accepted answer, or names
# someone else, is wrong even if it is close to another.
_Result = tuple[Grade, int]
_CONTRADICTS = -1


def _quoted(words: Sequence[str]) -> str:
    return "'" + " ".join(words) + "'"


def _shown(word: str) -> str:
    return "n't" if word == "t" else word  # "wasn't" is normalized to "wasn t"


def _subsequence(wanted: Sequence[str], words: Sequence[str]) -> list[int] | None:
    """Indexes in `words` of `wanted`, in order (the earliest such), or None if they are not all there."""
    found: list[int] = []
    i = 0
    for w in wanted:
        while i < len(words) and words[i] != w:
            i += 1
        if i == len(words):
            return None
        found.append(i)
        i += 1
    return found


def _zero_words(tokens: list[_Token], other: list[_Token]) -> list[_Token]:
    """`tokens` with "no"/"none" read as the number zero when `other` has a zero and `tokens` do not."""
    has_zero = any(t.kind == _NUM and t.key == "0" for t in other)
    if not has_zero or any(t.kind == _NUM and t.key == "0" for t in tokens):
        return tokens
    return [_Token(_NUM, "0", t.surface) if t.kind == _WORD and t.key in _ZERO_WORDS else t for t in tokens]


def _contradiction(added: Sequence[tuple[str, str]], e_words: Sequence[str]) -> str | None:
    """The first added qualifier pointing the other way from one of the expected answer's, as typed."""
    later = any(w in _LATER for w in e_words)
    earlier = any(w in _EARLIER for w in e_words)
    for key, surface in added:
        if (key in _EARLIER and later) or (key in _LATER and earlier):
            return surface
    return None


def _grade_numbers(a_tokens: list[_Token], e_tokens: list[_Token], a_norm: str, e_norm: str,
                   target: str, main: str) -> _Result:
    a_tokens, e_tokens = _zero_words(a_tokens, e_tokens), _zero_words(e_tokens, a_tokens)
    a_nums = [t for t in a_tokens if t.kind in (_NUM, _DAY)]
    e_nums = [t for t in e_tokens if t.kind in (_NUM, _DAY)]
    pool = Counter(t.key for t in e_nums)
    extra: list[_Token] = []
    for t in a_nums:
        if pool[t.key] > 0:
            pool[t.key] -= 1
        else:
            extra.append(t)
    missing: list[_Token] = []
    for t in reversed(e_nums):  # the last occurrences are the unmatched ones, so order checks stay simple
        if pool[t.key] > 0:
            pool[t.key] -= 1
            missing.append(t)
    missing.reverse()
    wrong = Verdict.WRONG
    if extra:
        if missing:
            return Grade(wrong, target, f"different number: {extra[0].surface} vs {missing[0].surface}"), 0
        if e_nums:
            return Grade(wrong, target, f"unexpected number: {extra[0].surface}"), 0
        return Grade(wrong, target, f"unexpected number: {extra[0].surface} (the answer is not a number)"), 0
    if any(t.kind != _DAY for t in missing):
        first = next(t for t in missing if t.kind != _DAY)
        return Grade(wrong, target, f"missing number: {first.surface}"), 0
    kept = list(e_nums)
    for t in missing:
        kept.remove(t)
    if [t.key for t in a_nums] != [t.key for t in kept]:
        return Grade(wrong, target, "the numbers are in a different order"), 0

    e_months = {t.key for t in e_tokens if t.kind == _MONTH}
    wrong_month = next((t for t in a_tokens if t.kind == _MONTH and t.key not in e_months), None)
    if wrong_month is not None:
        if e_months:
            return Grade(wrong, target, f"different month: {wrong_month.key} vs {min(e_months)}"), 0
        return Grade(wrong, target, f"the answer has no month ({wrong_month.key})"), 0

    a_units = {t.key for t in a_tokens if t.kind == _UNIT}
    e_units = {t.key for t in e_tokens if t.kind == _UNIT}
    if a_units and e_units and a_units != e_units:
        return Grade(wrong, target,
                     f"different currency: {', '.join(sorted(a_units))} vs {', '.join(sorted(e_units))}"), 0

    def words(tokens: list[_Token]) -> list[tuple[str, str]]:
        """(meaning, as typed) of the words that count: qualifiers read by meaning, filler left out."""
        return [(_SAME_QUALIFIER.get(t.key, t.key), t.surface) for t in tokens
                if t.kind in (_WORD, _MONTH) and t.key not in _FILLER]

    a_pairs, e_pairs = words(a_tokens), words(e_tokens)
    a_words, e_words = [k for k, _ in a_pairs], [k for k, _ in e_pairs]
    lost_day = bool(missing)
    less_precise = f"less precise than '{main}'"
    missing_words = Counter(e_words) - Counter(a_words)
    surplus = Counter(a_words) - Counter(e_words)
    extras: list[tuple[str, str]] = []  # the answer's extra words, in its order, as typed
    for key, surface in a_pairs:
        if surplus[key] > 0:
            surplus[key] -= 1
            extras.append((key, surface))
    negation = next((surface for key, surface in extras if key in _NEGATIONS), None)
    if negation is not None:
        return Grade(wrong, target, f"'{_shown(negation)}' negates '{main}'"), _CONTRADICTS
    opposite = _contradiction(extras, e_words)
    if opposite is not None:
        return Grade(wrong, target, f"'{opposite}' contradicts '{main}'"), _CONTRADICTS
    added = [(key, surface) for key, surface in extras if key not in _EXTRA_FILLER]

    if not missing_words and not added:
        if lost_day:
            return Grade(Verdict.ALMOST, target, less_precise), 1
        return Grade(Verdict.CORRECT, target), 0
    if missing_words and not added:
        gone: list[str] = []  # the missing words in the expected answer's order, as written
        for key, surface in e_pairs:
            if missing_words[key] > 0:
                missing_words[key] -= 1
                gone.append(surface)
        months = [w for w in gone if w in e_months]
        others = [w for w in gone if w not in e_months]
        if a_units and not e_units and others:
            return Grade(wrong, target, f"missing {_quoted(others)}"), 0
        if len(others) <= 2 or all(w in _QUALIFIERS for w in others):
            notes = []
            if others:
                kind = "qualifier " if all(w in _QUALIFIERS for w in others) else ""
                notes.append(f"missing {kind}{_quoted(others)}")
            if months or lost_day:
                notes.append(less_precise)
            return Grade(Verdict.ALMOST, target, "; ".join(notes)), len(others) + bool(months or lost_day)
        return Grade(wrong, target, f"incomplete: missing {_quoted(others)}"), 0
    if added and not missing_words:
        qualifiers = [surface for key, surface in added if key in _QUALIFIERS]
        others = [surface for key, surface in added if key not in _QUALIFIERS]
        notes = []
        if qualifiers:
            notes.append(f"extra qualifier {_quoted(qualifiers)}")
        if others:
            notes.append(f"extra words: {' '.join(others)}")
        if lost_day:
            notes.append(less_precise)
        # "11 countries" for "11", "two sections" for "two": a bare number, and the thing it counts.
        last_number = max(i for i, t in enumerate(a_tokens) if t.kind in (_NUM, _DAY))
        counted = [t.surface for t in a_tokens[last_number + 1:]]
        if not e_words and not qualifiers and not lost_day and len(others) <= 2 and counted == others:
            return Grade(Verdict.CORRECT, target, notes[0]), 0
        return Grade(Verdict.ALMOST, target, "; ".join(notes)), len(added) + lost_day
    gone_qualifiers = [surface for key, surface in e_pairs if key in missing_words and key in _QUALIFIERS]
    new_qualifiers = [surface for key, surface in added if key in _QUALIFIERS]
    if (len(gone_qualifiers) == len(new_qualifiers) == 1 == len(added) == sum(missing_words.values())
            and not lost_day):
        return Grade(Verdict.ALMOST, target,
                     f"different qualifier: '{new_qualifiers[0]}' for '{gone_qualifiers[0]}'"), 1
    # A spelling slip in the words, the filler the student added left out.
    a_core = [w for w in a_words if w not in _EXTRA_FILLER or w in e_words]
    a_text, e_text = " ".join(a_core), " ".join(e_words)
    allowed = _allowed_edits(len(e_text))
    edits = _distance(a_text, e_text, allowed)
    if edits <= allowed and not lost_day:
        core_norm = " ".join(w for w in a_norm.split() if w not in _EXTRA_FILLER or w in e_norm.split())
        return Grade(Verdict.ALMOST, target, _spelling_note(edits), _marks(core_norm, target, e_norm, e_norm, edits)), edits
    return Grade(wrong, target), 0


def _grade_name(a_norm: str, e_norm: str, target: str, main: str) -> _Result | None:
    a = [_translit(w) for w in a_norm.split()]
    e = [_translit(w) for w in e_norm.split()]
    if a == e:
        return Grade(Verdict.CORRECT, target, "" if a_norm == e_norm else "spelling variant"), 0
    if sorted(a) == sorted(e):
        return Grade(Verdict.CORRECT, target, "name order"), 0
    if any(a == e[k:] for k in range(1, len(e))):
        return Grade(Verdict.CORRECT, target, "surname only"), 0
    if len(a) == len(e) and a[-1] == e[-1] and all(
            x == y or (len(x) == 1 and y.startswith(x)) for x, y in zip(a[:-1], e[:-1])):
        return Grade(Verdict.CORRECT, target, "initials"), 0
    if any(a == e[:k] for k in range(1, len(e))):
        return Grade(Verdict.WRONG, target, f"only part of the name; the surname is needed: {main}"), 0
    # Spelling slips, measured on the folded spelling, against the full name and the surname alone.
    # A slip keeps a name's length (give or take a letter): "Boris" for "Borisov" is another name.
    folded_answer = " ".join(a)
    best: tuple[int, str] | None = None
    for candidate_norm in (e_norm, e_norm.split()[-1]):
        candidate = " ".join(_translit(w) for w in candidate_norm.split())
        if abs(len(folded_answer) - len(candidate)) > 1:
            continue
        allowed = _allowed_edits(len(candidate_norm))
        edits = _distance(folded_answer, candidate, allowed)
        if edits <= allowed and (best is None or edits < best[0]):
            best = (edits, candidate_norm)
    if best is not None:
        return (Grade(Verdict.ALMOST, target, _spelling_note(best[0]), _marks(a_norm, target, e_norm, best[1], best[0])),
                best[0])
    # The same surname after another first name, or a name cut short or lengthened ("Boris" for
    # "Borisov", "Borisovich"): someone else, not a slip.
    if len(a) == len(e) and a[-1] == e[-1] and a[0] not in _TITLES or len(a) == 1 and any(
            abs(len(w) - len(a[0])) >= 2 and (w.startswith(a[0]) or a[0].startswith(w)) for w in e):
        return Grade(Verdict.WRONG, target, f"different name: {a_norm} vs {main}"), _CONTRADICTS
    return None


def _grade_extra_words(a_norm: str, e_norm: str, target: str, main: str, name_like: bool) -> _Result | None:
    """An answer holding every word of the expected one, in order, and more; None if it does not."""
    a, e = a_norm.split(), e_norm.split()
    if len(a) <= len(e):
        return None
    fold = _translit if name_like else str
    at = _subsequence([fold(w) for w in e], [fold(w) for w in a])
    if at is None:
        return None
    taken = set(at)
    added = [(i, w) for i, w in enumerate(a) if i not in taken and w not in _EXTRA_FILLER]
    if not added:
        return Grade(Verdict.CORRECT, target), 0
    negation = next((w for _, w in added if w in _NEGATIONS), None)
    if negation is not None:
        return Grade(Verdict.WRONG, target, f"'{_shown(negation)}' negates '{main}'"), _CONTRADICTS
    words = " ".join(w for _, w in added)
    qualifiers = [w for _, w in added if w in _QUALIFIERS]
    if qualifiers:
        return Grade(Verdict.ALMOST, target, f"extra qualifier {_quoted(qualifiers)}"), len(added)
    if name_like:
        if len(added) <= 2 and all(at[0] < i < at[-1] for i, _ in added):
            return Grade(Verdict.CORRECT, target, f"middle name: {words}"), 0
        return Grade(Verdict.ALMOST, target, f"extra words: {words}"), len(added)
    # A word or two right before a common noun describe it ("economic sanctions"); before a proper
    # noun, after it, or in the middle, they may make it something else ("lack of knowledge").
    proper = any(ch.isupper() for ch in target)
    modifiers = [i for i, _ in added] == list(range(at[0] - len(added), at[0]))
    if modifiers and not proper and len(added) <= 2:
        return Grade(Verdict.CORRECT, target, f"extra words: {words}"), 0
    return Grade(Verdict.ALMOST, target, f"extra words: {words}"), len(added)


def _grade_one(answer: str, a_norm: str, a_tokens: list[_Token], target: str, main: str) -> _Result:
    e_norm = _prepare(target)
    if not e_norm:  # an expected answer made only of punctuation or symbols: compare it as written
        same = answer.strip() == target.strip()
        return Grade(Verdict.CORRECT if same else Verdict.WRONG, target), 0
    e_tokens = _tokens(e_norm)
    if any(t.kind in (_NUM, _DAY, _MONTH) for t in (*a_tokens, *e_tokens)):
        return _grade_numbers(a_tokens, e_tokens, a_norm, e_norm, target, main)
    if a_norm == e_norm:
        return Grade(Verdict.CORRECT, target), 0
    name_like = _is_name_like(target)
    contained = _grade_extra_words(a_norm, e_norm, target, main, name_like)
    if contained is not None:
        return contained
    # Spelling slips are measured without the filler the student added ("it was Yuri Borosov").
    e_words = set(e_norm.split())
    a_core = " ".join(w for w in a_norm.split() if w not in _EXTRA_FILLER or w in e_words) or a_norm
    if name_like:
        named = _grade_name(a_core, e_norm, target, main)
        if named is not None:
            return named
    allowed = _allowed_edits(len(e_norm))
    edits = _distance(a_core, e_norm, allowed)
    if edits <= allowed:
        return Grade(Verdict.ALMOST, target, _spelling_note(edits), _marks(a_core, target, e_norm, e_norm, edits)), edits
    return Grade(Verdict.WRONG, target), 0


def _as_written(text: str) -> str:
    """`text` with case and spacing folded: how rule 7 compares texts too long to grade in full."""
    return " ".join(text.casefold().split())


def _size(text: str) -> int:
    """The length normalization will work on (NFKC runs in C; the per-character passes do not)."""
    return len(unicodedata.normalize("NFKC", text.strip()))


def grade(answer: str, expected: str, accept: Sequence[str] = ()) -> Grade:
    """Grade a typed answer against the expected answer and its accepted alternatives."""
    targets = (expected, *accept[:_MAX_ACCEPT])
    if len(answer.strip()) > 2 * max(len(t.strip()) for t in targets) + 100:  # rule 7, before any work
        return Grade(Verdict.WRONG, expected, "much longer than the answer")
    in_full = _size(answer) <= _FULL
    a_norm = _prepare(answer) if in_full else ""
    if in_full and not a_norm:
        return Grade(Verdict.WRONG, expected, "no answer")
    a_tokens = _tokens(a_norm) if in_full else []
    written = None  # the answer as written, folded once if needed
    results: list[_Result] = []
    budget = _GRADED_CHARS
    for target in targets:
        size = _size(target) if in_full and len(target) <= 3 * budget else budget + 1
        if size > min(budget, _FULL):  # rule 7: compared only as written
            if written is None:
                written = _as_written(answer)
            same = written == _as_written(target)
            result: _Result = (Grade(Verdict.CORRECT if same else Verdict.WRONG, target), 0)
        else:
            budget -= size
            result = _grade_one(answer, a_norm, a_tokens, target, expected)
        if result[0].verdict is Verdict.CORRECT:
            return result[0]
        results.append(result)
    decisive = [g for g, cost in results if g.verdict is Verdict.WRONG and cost == _CONTRADICTS]
    if decisive:
        return decisive[0]
    almost = [(cost, i, g) for i, (g, cost) in enumerate(results) if g.verdict is Verdict.ALMOST]
    if almost:
        # The nearest alternative (fewest edits or words apart); on a tie, the card's answer, then accept order.
        return min(almost, key=lambda r: (r[0], r[1]))[2]
    # When all are wrong, explain against the card's answer rather than an alternative the student
    # may never have seen.
    return results[0][0]


def grade_choice(chosen: str, expected: str) -> Grade:
    """A multiple-choice pick: the option itself, so only the exact option is right."""
    if chosen.strip() == expected.strip():
        return Grade(Verdict.CORRECT, expected)
    return Grade(Verdict.WRONG, expected)


def grade_truefalse(chosen: bool, expected: str) -> Grade:
    """`expected` is the card's answer, "true" or "false" (any case)."""
    folded = expected.strip().casefold()
    if folded not in ("true", "false"):
        raise ValueError(f"a true/false answer must be 'true' or 'false', not {expected!r}")
    right = folded == "true"
    shown = "true" if right else "false"
    return Grade(Verdict.CORRECT if chosen == right else Verdict.WRONG, shown)
