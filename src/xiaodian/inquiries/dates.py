"""When the buyer says they ordered: 今天/昨天/前天, 20号, 上个月20号, 11月20日, 周五/上周五, 2026-11-20, 11/20,
"the 20th (of this month)", "Nov 20", "on the twentieth", "yesterday", "last Friday", 周末 / "the weekend". Pure;
``today`` is the shop's date (Asia/Shanghai)
of the message time, never the wall clock.

Why a table-driven parser: dateparser reads "20日" as the 6th and jionlp weighs over 200 MB (issue 7); buyers write
a dozen shapes, each one regular expression here. Orders are never in the future, so a day of this month that has
not come yet means the previous month, and a month-day later than today means last year.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta

from .numerals import CN_NUMBER, cn_to_int


@dataclass(frozen=True)
class DateSpan:
    """An inclusive range of shop days (a single day when ``start == end``) and where it was read."""

    start: date
    end: date
    at: tuple[int, int]  # span in the normalised text


_NUM = rf"(\d{{1,2}}|{CN_NUMBER})"
_MONTH_WORD = r"(本月|这个月|这月|当月|上上个月|上上月|上个月|上月|前个月)"
_WEEKDAY_ZH = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6,
               "1": 0, "2": 1, "3": 2, "4": 3, "5": 4, "6": 5, "7": 6}
_WEEKDAY_EN = {name: i for i, name in enumerate(
    ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"))}
_WEEKDAY_EN.update({"mon": 0, "tue": 1, "tues": 1, "wed": 2, "thu": 3, "thur": 3, "thurs": 3, "fri": 4})
_MONTHS_EN = {name: i + 1 for i, name in enumerate(
    ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november",
     "december"))}
_MONTHS_EN.update({name[:3]: n for name, n in list(_MONTHS_EN.items())})
_MONTHS_EN["sept"] = 9
_MON = "(" + "|".join(sorted(_MONTHS_EN, key=len, reverse=True)) + r")\.?"
_WD_EN = "(" + "|".join(sorted(_WEEKDAY_EN, key=len, reverse=True)) + ")"
_ORD_WORDS = {w: i + 1 for i, w in enumerate((
    "first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth", "eleventh",
    "twelfth", "thirteenth", "fourteenth", "fifteenth", "sixteenth", "seventeenth", "eighteenth", "nineteenth",
    "twentieth"))}
_ORD_WORDS.update({f"twenty{sep}{w}": 20 + n for w, n in list(_ORD_WORDS.items())[:9] for sep in ("-", " ", "")})
_ORD_WORDS.update({"thirtieth": 30, "thirty-first": 31, "thirty first": 31, "thirtyfirst": 31})
_ORD_WORD = "(" + "|".join(sorted((re.escape(w) for w in _ORD_WORDS), key=len, reverse=True)) + ")"
_ORD = rf"(\d{{1,2}}|{_ORD_WORD[1:-1]})(?:st|nd|rd|th)?"

PATTERNS: list[tuple[str, re.Pattern]] = [
    ("ymd", re.compile(r"(?<!\d)(20\d\d)\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*[日号]?(?!\d)")),
    ("zh_md", re.compile(rf"(?:(今年|去年)\s*)?(\d{{1,2}}|{CN_NUMBER})\s*月(?:份)?\s*{_NUM}\s*[日号]")),
    ("zh_mday", re.compile(rf"{_MONTH_WORD}?\s*(?:的)?\s*{_NUM}\s*[日号](?!码|楼|线|门|床)")),
    ("zh_days_ago", re.compile(rf"{_NUM}\s*天(?:以)?前")),
    ("zh_weekday", re.compile(r"(上上|上|这|本)?\s*(?:个)?(?:周|星期|礼拜)\s*([一二三四五六日天1-7])")),
    ("zh_relative", re.compile(r"(大前天|前天|昨天|昨日|昨晚|今天|今日|今早|今晚|刚才|刚刚)")),
    ("zh_weekend", re.compile(r"(上上|上|这|本|这个|上个)?\s*(?:周末|礼拜末)")),
    ("zh_range", re.compile(r"(上上周|上周|上个星期|上星期|上个礼拜|这周|本周|这个星期|这星期|上个月|上月|本月|这个月)")),
    ("en_md", re.compile(rf"\b{_MON}\s+{_ORD}\b")),
    ("en_dm", re.compile(rf"\b(?:the\s+)?{_ORD}\s+(?:of\s+)?{_MON}\b")),
    ("en_mday", re.compile(r"\bon\s+the\s+(\d{1,2})(?:st|nd|rd|th)?\b(?:\s+of\s+(this|last|the\s+previous)\s+month)?"
                           r"|\b(\d{1,2})(?:st|nd|rd|th)\b(?:\s+of\s+(this|last|the\s+previous)\s+month)?")),
    ("md", re.compile(r"(?<![\d/.\-])(\d{1,2})\s*[/.\-]\s*(\d{1,2})(?![\d/.\-]|\s*(?:kg|g|l|ml|斤|元|块|%|折))")),
    ("en_days_ago", re.compile(r"\b(\d{1,2}|one|two|three|four|five|six|seven)\s+days?\s+ago\b")),
    ("en_weekday", re.compile(rf"\b(?:(last|this|on|past)\s+)?{_WD_EN}\b")),
    ("en_relative", re.compile(r"\b(the\s+day\s+before\s+yesterday|yesterday|today|this\s+morning|tonight|last\s+night"
                               r"|earlier\s+today)\b")),
    # "on the twentieth" / "the twentieth of this month"; a bare "the first" is too often not a date.
    ("en_mday_word", re.compile(rf"\bon\s+the\s+{_ORD_WORD}\b(?:\s+of\s+(this|last|the\s+previous)\s+month)?"
                                rf"|\bthe\s+{_ORD_WORD}\s+of\s+(this|last|the\s+previous)\s+month\b")),
    ("en_weekend", re.compile(r"\b(?:(last|this|the|on|over|past)\s+)?weekend\b")),
    ("en_range", re.compile(r"\b(last\s+week|this\s+week|last\s+month|this\s+month|previous\s+month)\b")),
]
_EN_SMALL = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7}


def _safe(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _month_shift(today: date, months_back: int) -> tuple[int, int]:
    index = today.year * 12 + today.month - 1 - months_back
    return index // 12, index % 12 + 1


def day_of_month(today: date, day: int, months_back: int | None) -> date | None:
    """N号: this month's N-th, or the previous month's when that day has not come yet (orders are in the past)."""
    back = months_back or 0
    year, month = _month_shift(today, back)
    found = _safe(year, month, day)
    if months_back is None or months_back == 0:
        if found is None or found > today:
            year, month = _month_shift(today, back + 1)
            found = _safe(year, month, day)
    return found


def month_day(today: date, month: int, day: int, year: int | None = None) -> date | None:
    """M月N日 / Nov 20: this year's, or last year's when it is still to come."""
    found = _safe(year or today.year, month, day)
    if year is None and found is not None and found > today:
        found = _safe(today.year - 1, month, day)
    return found


def weekday(today: date, wd: int, weeks_back: int) -> date:
    """周五 (weeks_back 0): the most recent Friday, today included; 上周五 / "last Friday" (1): the Friday of the
    previous calendar week (Monday first, as Chinese calendars print it); 上上周五 (2): the week before that."""
    if weeks_back == 0:
        return today - timedelta(days=(today.weekday() - wd) % 7)
    monday = today - timedelta(days=today.weekday()) - timedelta(weeks=weeks_back)
    return monday + timedelta(days=wd)


def weekend(today: date, weeks_back: int) -> tuple[date, date]:
    """周末 / "the weekend" (0): the latest Saturday–Sunday that has begun (today's, on a weekend day); 上周末 /
    "last weekend" (1): the previous calendar week's, Monday first as above. Orders are never in the future."""
    if weeks_back == 0 and today.weekday() >= 5:
        saturday = today - timedelta(days=today.weekday() - 5)
        return saturday, today
    saturday = today - timedelta(days=today.weekday() + 2 + 7 * max(weeks_back - 1, 0))
    return saturday, saturday + timedelta(days=1)


def _day_number(token: str) -> int:
    return int(token) if token.isdigit() else _ORD_WORDS[re.sub(r"\s+", " ", token)]


def _months_back(word: str | None) -> int | None:
    if not word:
        return None
    word = word.strip()
    if word.startswith("上上"):
        return 2
    if word.startswith(("上", "前", "last", "the previous", "previous")):
        return 1
    return 0


def _range(today: date, word: str) -> tuple[date, date]:
    word = re.sub(r"\s+", " ", word)
    if word in ("上上周",):
        monday = today - timedelta(days=today.weekday(), weeks=2)
        return monday, monday + timedelta(days=6)
    if word in ("上周", "上个星期", "上星期", "上个礼拜", "last week"):
        monday = today - timedelta(days=today.weekday(), weeks=1)
        return monday, monday + timedelta(days=6)
    if word in ("这周", "本周", "这个星期", "这星期", "this week"):
        return today - timedelta(days=today.weekday()), today
    if word in ("上个月", "上月", "last month", "previous month"):
        year, month = _month_shift(today, 1)
        return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])
    return today.replace(day=1), today


_ORDER_VERB = re.compile(r"拍|买|下单|下的单|付款|付的|支付|订(?!单)|order|bought|paid|purchas|placed")
_LAST_MONTH_BEFORE = re.compile(r"(last|previous)\s+month\W*(?:on\W*)?$")


# "昨天就该发货了" / "前天说好到的": a day followed by should/promised speaks of a deadline missed, not of the order.
_PROMISE_AFTER = re.compile(r"\s*(就|本来|本)?(该|应该|应当|说好|答应|承诺)")


def _is_promise(text: str, m: re.Match) -> bool:
    return bool(_PROMISE_AFTER.match(text, m.end()))


def _is_order_time(text: str, m: re.Match) -> bool:
    """"今天能发吗" speaks of today but not of when the order was placed; count "today" only next to a verb of
    ordering or paying."""
    return bool(_ORDER_VERB.search(text[max(0, m.start() - 12):m.end() + 12]))


def _resolve(kind: str, m: re.Match, today: date, text: str = "") -> tuple[date, date] | None:
    g = m.groups()
    one = None
    if kind in ("zh_relative", "en_relative") and m.group(1) in ("今天", "今日", "今早", "今晚", "刚才", "刚刚",
                                                                  "today", "this morning", "tonight", "earlier today"):
        if not _is_order_time(text, m):
            return None
    if kind in ("zh_relative", "zh_weekday", "zh_mday") and _is_promise(text, m):
        return None
    if kind == "ymd":
        one = _safe(int(g[0]), int(g[1]), int(g[2]))
    elif kind == "zh_md":
        month, day = cn_to_int(g[1]), cn_to_int(g[2])
        if month and day:
            one = month_day(today, month, day, today.year - 1 if g[0] == "去年" else (today.year if g[0] else None))
    elif kind == "zh_mday":
        day = cn_to_int(g[1])
        one = day_of_month(today, day, _months_back(g[0])) if day else None
    elif kind in ("zh_days_ago", "en_days_ago"):
        n = cn_to_int(g[0]) if g[0] not in _EN_SMALL else _EN_SMALL[g[0]]
        one = today - timedelta(days=n) if n is not None and n <= 60 else None
    elif kind == "zh_weekday":
        back = {"上上": 2, "上": 1}.get(g[0] or "", 0)
        one = weekday(today, _WEEKDAY_ZH[g[1]], back)
    elif kind == "zh_relative":
        offset = {"大前天": 3, "前天": 2, "昨天": 1, "昨日": 1, "昨晚": 1}.get(g[0], 0)
        one = today - timedelta(days=offset)
    elif kind == "en_relative":
        word = re.sub(r"\s+", " ", g[0])
        one = today - timedelta(days={"the day before yesterday": 2, "yesterday": 1, "last night": 1}.get(word, 0))
    elif kind == "zh_weekend":
        return weekend(today, {"上上": 2, "上": 1, "上个": 1}.get(g[0] or "", 0))
    elif kind == "en_weekend":
        return weekend(today, 1 if g[0] == "last" and today.weekday() >= 5 else 0)
    elif kind == "en_mday_word":
        day = _ORD_WORDS[re.sub(r"\s+", " ", g[0] or g[2])]
        one = day_of_month(today, day, _months_back(g[1] or g[3]))
    elif kind in ("zh_range", "en_range"):
        return _range(today, g[0])
    elif kind == "en_md":
        one = month_day(today, _MONTHS_EN[g[0]], _day_number(g[1]))
    elif kind == "en_dm":
        one = month_day(today, _MONTHS_EN[g[1]], _day_number(g[0]))
    elif kind == "en_mday":
        day = int(g[0] or g[2])
        back = _months_back(g[1] or g[3])
        if back is None and _LAST_MONTH_BEFORE.search(text[max(0, m.start() - 25):m.start()]):
            back = 1
        one = day_of_month(today, day, back)
    elif kind == "md":
        one = month_day(today, int(g[0]), int(g[1]))
    elif kind == "en_weekday":
        back = 1 if g[0] == "last" else 0
        one = weekday(today, _WEEKDAY_EN[g[1]], back)
    return (one, one) if one is not None else None


def parse_date(text: str, today: date) -> DateSpan | None:
    """The order date the buyer names: the earliest phrase in the text (longest when two start together)."""
    found: list[tuple[int, int, date, date]] = []
    impossible: list[tuple[int, int]] = []  # "这个月31号" in a 30-day month: no date, not "this month" either
    for kind, pattern in PATTERNS:
        for m in pattern.finditer(text):
            if m.end() == m.start():
                continue
            resolved = _resolve(kind, m, today, text)
            if resolved is not None:
                found.append((m.start(), -(m.end() - m.start()), resolved[0], resolved[1]))
            elif kind in ("ymd", "zh_md", "zh_mday", "en_md", "en_dm", "en_mday", "md"):
                impossible.append(m.span())
    found = [f for f in found if not any(a < f[0] - f[1] and f[0] < b for a, b in impossible)]
    if not found:
        return None
    # A specific day right after a range that contains it wins ("last month on the 20th" is the 20th).
    found.sort()
    start, neg_len, first, last = found[0]
    for other in found[1:]:
        if other[0] <= start - neg_len + 15 and other[2] == other[3] and first <= other[2] <= last and first != last:
            first = last = other[2]
            break
    return DateSpan(first, last, (start, start - neg_len))
