"""Telegram's limits, as the emulator enforces them: HTML parse mode, text lengths, keyboards, commands.

Everything here is pure: functions take decoded request parameters and either return what Telegram would
store (plain text and its entities, a checked reply markup) or raise `ApiError` with the status and the
description real Telegram answers with.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_ANSWER = 200
MAX_CALLBACK_DATA_BYTES = 64
MAX_BUTTONS_PER_ROW = 8
MAX_BUTTONS = 100
MAX_COMMANDS = 100
# sendPhoto: at most 10 MB, width + height at most 10000, and neither side more than 20 times the other.
MAX_PHOTO_BYTES = 10 * 1024 * 1024
MAX_PHOTO_SIDES = 10_000
MAX_PHOTO_RATIO = 20

_ENTITY_OF_TAG = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "tg-emoji": "custom_emoji",
}
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_NAME_CHARS = re.compile(r"[A-Za-z0-9_-]*")
_ENTITY_REF = re.compile(r"&(?:#([0-9]{1,8})|#[xX]([0-9A-Fa-f]{1,8})|([A-Za-z]{1,10}));")
_BUTTON_ACTIONS = (
    "callback_data",
    "url",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)
_COMMAND = re.compile(r"[a-z0-9_]{1,32}")


@dataclass
class ApiError(Exception):
    """A request Telegram would refuse: becomes `{"ok": false, "error_code": status, "description": ...}`."""

    status: int
    description: str
    parameters: dict[str, Any] | None = None
    cause: str = "validation"  # recorded on the Call: why the request was refused

    def __str__(self) -> str:
        return f"{self.status} {self.description}"


def bad_request(reason: str) -> ApiError:
    return ApiError(400, f"Bad Request: {reason}")


def utf16_len(text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units, so characters outside the BMP (emoji) count twice."""
    return len(text.encode("utf-16-le")) // 2


# --- HTML parse mode ----------------------------------------------------------------------------------


@dataclass
class _OpenTag:
    name: str
    attrs: dict[str, str]
    offset: int  # UTF-16 offset in the plain text where the tag's content starts
    entities_inside: list[dict[str, Any]] = field(default_factory=list)


class _HtmlParser:
    """A strict reading of Telegram's HTML style; errors give UTF-8 byte offsets, as Telegram's do."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.pos = 0
        self.pieces: list[str] = []
        self.length = 0  # UTF-16 length of the plain text so far
        self.stack: list[_OpenTag] = []
        self.entities: list[dict[str, Any]] = []

    def fail(self, reason: str) -> ApiError:
        return bad_request(f"can't parse entities: {reason}")

    def byte_offset(self, index: int) -> int:
        return len(self.source[:index].encode("utf-8"))

    def emit(self, text: str) -> None:
        self.pieces.append(text)
        self.length += utf16_len(text)

    def parse(self) -> tuple[str, list[dict[str, Any]]]:
        source = self.source
        while self.pos < len(source):
            char = source[self.pos]
            if char == "&":
                self.emit(self.entity_at(self.pos))
            elif char == "<" and source.startswith("</", self.pos):
                self.end_tag()
            elif char == "<":
                self.start_tag()
            else:
                stop = len(source)
                for special in "<&":
                    found = source.find(special, self.pos)
                    if found != -1:
                        stop = min(stop, found)
                self.emit(source[self.pos : stop])
                self.pos = stop
        if self.stack:
            raise self.fail(f'Can\'t find end tag corresponding to start tag "{self.stack[-1].name}"')
        self.entities.sort(key=lambda e: (e["offset"], -e["length"]))
        return "".join(self.pieces), self.entities

    def entity_at(self, index: int) -> str:
        """Decode the character reference at `index` and move past it; an unescaped `&` is an error."""
        # Telegram itself lets a stray "&" through; rejecting it catches user text the bot forgot to escape.
        match = _ENTITY_REF.match(self.source, index)
        decoded: str | None = None
        if match:
            decimal, hexadecimal, name = match.groups()
            if name is not None:
                decoded = _NAMED_ENTITIES.get(name)
            else:
                code = int(decimal) if decimal is not None else int(hexadecimal, 16)
                if 0 < code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF:
                    decoded = chr(code)
        if match is None or decoded is None:
            raise self.fail(
                f'Character "&" at byte offset {self.byte_offset(index)} does not start a supported '
                'HTML entity; escape it as "&amp;"'
            )
        self.pos = match.end()
        return decoded

    def read_name(self) -> str:
        match = _NAME_CHARS.match(self.source, self.pos)
        assert match is not None
        self.pos = match.end()
        return match.group(0).lower()

    def skip_spaces(self) -> None:
        while self.pos < len(self.source) and self.source[self.pos].isspace():
            self.pos += 1

    def start_tag(self) -> None:
        begin = self.pos
        self.pos += 1
        name = self.read_name()
        if name not in _ENTITY_OF_TAG:
            raise self.fail(f'Unsupported start tag "{name}" at byte offset {self.byte_offset(begin)}')
        attrs: dict[str, str] = {}
        while True:
            self.skip_spaces()
            if self.pos >= len(self.source):
                raise self.fail(f"Unclosed start tag at byte offset {self.byte_offset(begin)}")
            if self.source[self.pos] == ">":
                self.pos += 1
                break
            attr_begin = self.pos
            attr = self.read_name()
            if not attr:
                raise self.fail(
                    f'Empty attribute name in the tag "{name}" at byte offset {self.byte_offset(attr_begin)}'
                )
            self.skip_spaces()
            value = ""
            if self.source.startswith("=", self.pos):
                self.pos += 1
                self.skip_spaces()
                value = self.attribute_value(begin)
            attrs[attr] = value
        if name == "span" and attrs.get("class") != "tg-spoiler":
            raise self.fail(f'Tag "span" must have class "tg-spoiler" at byte offset {self.byte_offset(begin)}')
        if name == "tg-emoji" and not attrs.get("emoji-id", "").isdigit():
            raise self.fail(f'Tag "tg-emoji" must have attribute "emoji-id" at byte offset {self.byte_offset(begin)}')
        self.stack.append(_OpenTag(name, attrs, self.length))

    def attribute_value(self, tag_begin: int) -> str:
        source = self.source
        if self.pos >= len(source):
            raise self.fail(f"Unclosed start tag at byte offset {self.byte_offset(tag_begin)}")
        quote = source[self.pos]
        if quote in "\"'":
            end = source.find(quote, self.pos + 1)
            if end == -1:
                raise self.fail(f"Unclosed start tag at byte offset {self.byte_offset(tag_begin)}")
            raw_begin, self.pos = self.pos + 1, end + 1
            raw = source[raw_begin:end]
        else:
            raw_begin = self.pos
            while self.pos < len(source) and not source[self.pos].isspace() and source[self.pos] != ">":
                self.pos += 1
            raw = source[raw_begin : self.pos]
        value: list[str] = []
        index = 0
        while index < len(raw):
            if raw[index] == "&":
                saved = self.pos
                decoded = self.entity_at(raw_begin + index)
                index = self.pos - raw_begin
                self.pos = saved
                value.append(decoded)
            else:
                value.append(raw[index])
                index += 1
        return "".join(value)

    def end_tag(self) -> None:
        begin = self.pos
        self.pos += 2
        name = self.read_name()
        self.skip_spaces()
        if not self.source.startswith(">", self.pos):
            raise self.fail(f"Unclosed end tag at byte offset {self.byte_offset(begin)}")
        self.pos += 1
        if not self.stack:
            raise self.fail(f'Unexpected end tag "{name}" at byte offset {self.byte_offset(begin)}')
        open_tag = self.stack[-1]
        if open_tag.name != name:
            raise self.fail(
                f"Unmatched end tag at byte offset {self.byte_offset(begin)}, "
                f'expected "</{open_tag.name}>", found "</{name}>"'
            )
        self.stack.pop()
        self.close(open_tag)

    def close(self, tag: _OpenTag) -> None:
        length = self.length - tag.offset
        kind = _ENTITY_OF_TAG[tag.name]
        entity: dict[str, Any] = {"type": kind, "offset": tag.offset, "length": length}
        if kind == "text_link":
            if not tag.attrs.get("href"):
                return
            entity["url"] = tag.attrs["href"]
        elif kind == "custom_emoji":
            entity["custom_emoji_id"] = tag.attrs["emoji-id"]
        elif kind == "blockquote" and "expandable" in tag.attrs:
            entity["type"] = "expandable_blockquote"
        elif kind == "code" and self.stack and self.stack[-1].name == "pre":
            # <pre><code class="language-x"> is how a pre block names its language; it is not a code entity.
            language = tag.attrs.get("class", "")
            if language.startswith("language-") and tag.offset == self.stack[-1].offset:
                self.stack[-1].attrs["language"] = language.removeprefix("language-")
                return
        elif kind == "pre" and tag.attrs.get("language"):
            entity["language"] = tag.attrs["language"]
        if length > 0:
            self.entities.append(entity)


def parse_html(source: str) -> tuple[str, list[dict[str, Any]]]:
    """The plain text and the MessageEntity dicts Telegram makes of `source` in parse_mode HTML."""
    return _HtmlParser(source).parse()


def _strip(text: str, entities: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    """Trim surrounding whitespace as Telegram does, moving and clipping the entities to match."""
    stripped = text.strip()
    if not stripped:
        return "", []
    lead = utf16_len(text[: len(text) - len(text.lstrip())])
    end = lead + utf16_len(stripped)
    kept: list[dict[str, Any]] = []
    for entity in entities:
        start = max(entity["offset"], lead)
        stop = min(entity["offset"] + entity["length"], end)
        if stop > start:
            kept.append({**entity, "offset": start - lead, "length": stop - start})
    return stripped, kept


def formatted_text(
    raw: Any, parse_mode: str | None, entities: Any, *, caption: bool = False
) -> tuple[str, list[dict[str, Any]]]:
    """Check a text or caption the way Telegram does and return what the message will show."""
    text = "" if raw is None else str(raw)
    if isinstance(entities, list):
        plain, found = text, [dict(e) for e in entities if isinstance(e, dict)]
    elif parse_mode is None or parse_mode == "":
        plain, found = text, []
    elif parse_mode.lower() == "html":
        plain, found = parse_html(text)
    elif parse_mode.lower() in ("markdown", "markdownv2"):
        raise bad_request(f"can't parse entities: the emulator only implements parse mode HTML, not {parse_mode}")
    else:
        raise bad_request("unsupported parse_mode")
    plain, found = _strip(plain, found)
    length = utf16_len(plain)
    if caption:
        if length > MAX_CAPTION:
            raise bad_request("message caption is too long")
    elif length == 0:
        raise bad_request("message text is empty")
    elif length > MAX_TEXT:
        raise bad_request("message is too long")
    return plain, found


# --- Reply markup ---------------------------------------------------------------------------------------


def reply_markup(markup: Any, *, inline_only: bool = False) -> dict[str, Any] | None:
    """Check a reply_markup parameter (JSON-decoded); returns it unchanged when Telegram accepts it."""
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in markup:
        _inline_keyboard(markup["inline_keyboard"])
    elif inline_only:
        raise bad_request("REPLY_MARKUP_INVALID")
    elif "keyboard" in markup:
        _reply_keyboard(markup["keyboard"])
    elif markup.get("remove_keyboard") is not True and markup.get("force_reply") is not True:
        raise bad_request("can't parse reply keyboard markup JSON object")
    return markup


def _rows(keyboard: Any) -> list[list[Any]]:
    if not isinstance(keyboard, list) or not all(isinstance(row, list) for row in keyboard):
        raise bad_request("can't parse reply keyboard markup JSON object")
    return keyboard


def _inline_keyboard(keyboard: Any) -> None:
    rows = _rows(keyboard)
    if any(len(row) > MAX_BUTTONS_PER_ROW for row in rows) or sum(map(len, rows)) > MAX_BUTTONS:
        raise bad_request("too many inline keyboard buttons")
    for row in rows:
        for button in row:
            if not isinstance(button, dict) or not isinstance(button.get("text"), str):
                raise bad_request('can\'t parse inline keyboard button: Field "text" must be of type String')
            if not button["text"].strip():
                raise bad_request("BUTTON_TEXT_INVALID")
            actions = [key for key in _BUTTON_ACTIONS if key in button]
            if not actions:
                raise bad_request(
                    "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
                )
            if len(actions) > 1:
                raise bad_request("can't parse inline keyboard button: a button must have exactly one action")
            if "callback_data" in button:
                data = button["callback_data"]
                if not isinstance(data, str) or not 1 <= len(data.encode("utf-8")) <= MAX_CALLBACK_DATA_BYTES:
                    raise bad_request("BUTTON_DATA_INVALID")
            if "url" in button and not re.match(r"(https?|tg)://\S+$", str(button["url"])):
                raise bad_request("BUTTON_URL_INVALID")


def _reply_keyboard(keyboard: Any) -> None:
    rows = _rows(keyboard)
    if not rows or sum(map(len, rows)) > 300:
        raise bad_request("REPLY_MARKUP_INVALID")
    for row in rows:
        for button in row:
            text = button if isinstance(button, str) else button.get("text") if isinstance(button, dict) else None
            if not isinstance(text, str) or not text.strip():
                raise bad_request("BUTTON_TEXT_INVALID")


# --- Other parameters -------------------------------------------------------------------------------------


def callback_answer_text(text: Any) -> str | None:
    if text is None:
        return None
    if len(str(text)) > MAX_CALLBACK_ANSWER:
        raise bad_request("MESSAGE_TOO_LONG")
    return str(text)


def bot_commands(commands: Any) -> list[dict[str, str]]:
    if not isinstance(commands, list):
        raise bad_request("can't parse commands JSON object")
    if len(commands) > MAX_COMMANDS:
        raise bad_request("too many commands")
    checked: list[dict[str, str]] = []
    for command in commands:
        if not isinstance(command, dict):
            raise bad_request("can't parse BotCommand JSON object")
        name, description = str(command.get("command", "")), str(command.get("description", ""))
        if not _COMMAND.fullmatch(name):
            raise bad_request("BOT_COMMAND_INVALID")
        if not 1 <= len(description.strip()) <= 256:
            raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        checked.append({"command": name, "description": description})
    return checked


def image_dimensions(data: bytes) -> tuple[int, int] | None:
    """(width, height) from a PNG header; None for other formats, which keep the emulator's default size."""
    if data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR":
        return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    return None


def uploaded_photo(size: int, dimensions: tuple[int, int] | None) -> None:
    if size > MAX_PHOTO_BYTES:
        raise bad_request("PHOTO_SAVE_FILE_INVALID")
    if dimensions is not None:
        width, height = dimensions
        if width + height > MAX_PHOTO_SIDES or max(width, height) > MAX_PHOTO_RATIO * min(width, height):
            raise bad_request("PHOTO_INVALID_DIMENSIONS")


def secret_token(token: Any) -> str | None:
    if token is None or token == "":
        return None
    if not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", str(token)):
        raise bad_request("secret token contains unallowed characters")
    return str(token)
